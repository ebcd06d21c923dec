import Foundation
import Store

/// The session video over HTTP (docs/PROTOCOL.md §8, "Session video"): start it, send its chunks, finish it, and play ranges of it.
/// A whole-file GET (no `Range`) is streamed by the service loop itself (`ServiceLoop.serveVideo`).
extension APIRoutes {
    /// The video endpoints under `/v1/sessions/{id}/video…`; nil for any other path.
    func videoEndpoint(_ request: HTTPRequest, _ segments: [String]) -> [String: () throws -> HTTPResponse]? {
        guard segments.count >= 4, segments[1] == "sessions", segments[3] == "video" else { return nil }
        let id = segments[2]
        switch (segments.count, segments.count > 4 ? segments[4] : "") {
        case (4, _):
            return ["GET": { try authenticated(request) { try videoRange(id, accountID: $0.accountID, request) } },
                    "POST": { try authenticated(request) { try beginVideo(id, accountID: $0.accountID, request) } }]
        case (5, "finish"):
            return ["POST": { try authenticated(request) { try finishVideo(id, accountID: $0.accountID, request) } }]
        case (6, "chunks"):
            let number = segments[5]
            return ["PUT": { try authenticated(request) { try videoChunk(id, number: number, accountID: $0.accountID, request) } }]
        default:
            return nil
        }
    }

    private func beginVideo(_ id: String, accountID: String, _ request: HTTPRequest) throws -> HTTPResponse {
        guard RecordingFiles.isSafeIdentifier(id) else { return VideoUploads.notFound(id) }
        let fields: VideoBeginBody
        switch request.decodeBody(VideoBeginBody.self) {
        case .success(let value): fields = value
        case .failure(let response): return response
        }
        guard fields.mimeType.hasPrefix("video/webm"), fields.mimeType.utf8.count <= 100 else {
            return .error(415, "not_webm", "Videos are recorded as video/webm; \"mime_type\" was \(fields.mimeType.prefix(100)).")
        }
        guard (0...21_600_000).contains(fields.recordingMs) else {
            return .error(400, "invalid_field", "\"recording_ms\" is how long the recorder has run, from 0 to 21600000 ms (six hours).")
        }
        return try video.begin(sessionID: id, accountID: accountID, mimeType: fields.mimeType, recordingMs: fields.recordingMs)
    }

    private func videoChunk(_ id: String, number: String, accountID: String, _ request: HTTPRequest) throws -> HTTPResponse {
        guard RecordingFiles.isSafeIdentifier(id) else { return VideoUploads.notFound(id) }
        guard number.utf8.count <= 6, number.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let value = Int(number) else {
            return .error(400, "invalid_chunk_number", "Chunk numbers are whole numbers from 0 to \(VideoUploads.maxChunkNumber).")
        }
        return try video.receiveChunk(sessionID: id, accountID: accountID, number: value, bytes: request.body)
    }

    private func finishVideo(_ id: String, accountID: String, _ request: HTTPRequest) throws -> HTTPResponse {
        guard RecordingFiles.isSafeIdentifier(id) else { return VideoUploads.notFound(id) }
        switch request.decodeBody(VideoFinishBody.self) {
        case .success(let fields): return try video.finish(sessionID: id, accountID: accountID, chunks: fields.chunks)
        case .failure(let response): return response
        }
    }

    /// `GET` with a single `Range`: 206 with at most `maxRangeBytes` of the file, or 416 when it starts past the end.
    private func videoRange(_ id: String, accountID: String, _ request: HTTPRequest) throws -> HTTPResponse {
        guard let file = try playableVideo(id, accountID: accountID) else {
            return .error(404, "not_found", "There is no video for session \(id.prefix(64)).")
        }
        let size = Int64((try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0)
        guard let range = ByteRange.parse(request.range)?.resolved(size: size, maxLength: Self.maxRangeBytes) else {
            var response = HTTPResponse.error(416, "range_not_satisfiable", "The video has \(size) bytes; ask for a range inside them.")
            response.headers += [(name: "content-range:", value: "bytes */\(size)"), (name: "accept-ranges:", value: "bytes")]
            return response
        }
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(range.lowerBound))
        let body = try handle.read(upToCount: Int(range.upperBound - range.lowerBound + 1)) ?? Data()
        var response = HTTPResponse(status: 206, contentType: VideoRecordingFiles.contentType, body: body)
        let end = range.lowerBound + Int64(body.count) - 1
        response.headers += [(name: "content-range:", value: "bytes \(range.lowerBound)-\(end)/\(size)"),
                             (name: "accept-ranges:", value: "bytes")]
        return response
    }

    /// The most bytes one range answer carries: a player asking for `bytes=N-` gets this much and asks again.
    static let maxRangeBytes: Int64 = 2 * 1024 * 1024

    /// The session's video file, when `accountID` owns the session and the file is WebM (starts with an EBML header).
    func playableVideo(_ id: String, accountID: String) throws -> URL? {
        guard let file = VideoRecordingFiles.file(forSession: id, dataDirectory: configuration.dataDirectory),
              try store.sessionBelongs(id: id, to: accountID), VideoRecordingFiles.isWebM(file) else { return nil }
        return file
    }

    /// The session's video as its page shows it: where to play it and where each question and answer starts in it.
    func videoView(_ detail: SessionDetail, accountID: String) throws -> SessionVideoView? {
        guard let recording = try store.videoTarget(sessionID: detail.session.id, accountID: accountID)?.video,
              recording.byteCount > 0 else { return nil }
        func offset(_ date: Date?) -> Int64? {
            date.map { max(0, Int64(($0.timeIntervalSince(recording.startedAt) * 1000).rounded())) }
        }
        return SessionVideoView(
            url: VideoRecordingFiles.urlPath(forSession: recording.sessionID), mimeType: recording.mimeType,
            startedAt: recording.startedAt, byteCount: recording.byteCount, gaps: recording.gaps,
            finished: recording.finishedAt != nil,
            turns: detail.turns.map {
                .init(questionID: $0.questionID, questionMs: offset($0.askedAt) ?? 0, answerMs: offset($0.answerStartedAt),
                      answerEndMs: offset($0.answerEndedAt))
            })
    }
}

/// `POST /v1/sessions/{id}/video`.
struct VideoBeginBody: RequestBody {
    var mimeType: String
    var recordingMs: Int64

    enum CodingKeys: String, CodingKey {
        case mimeType = "mime_type", recordingMs = "recording_ms"
    }

    static func problem(field: String, missing: Bool) -> String {
        field == "recording_ms" ? "\"recording_ms\" is required: how long the recorder has run, in whole milliseconds."
                                : "\"mime_type\" is required: the recorder's type, e.g. \"video/webm;codecs=vp8,opus\"."
    }
}

/// `POST /v1/sessions/{id}/video/finish`.
struct VideoFinishBody: RequestBody {
    var chunks: Int

    static func problem(field: String, missing: Bool) -> String { "\"chunks\" is required: how many chunks were recorded." }
}

/// `video` in a session's detail: the recording and each turn's offsets into it (milliseconds from its start).
struct SessionVideoView: Encodable {
    struct Turn: Encodable {
        var questionID: String
        var questionMs: Int64
        var answerMs: Int64?
        var answerEndMs: Int64?

        enum CodingKeys: String, CodingKey {
            case questionID = "question_id", questionMs = "question_ms", answerMs = "answer_ms", answerEndMs = "answer_end_ms"
        }
    }
    var url: String
    var mimeType: String
    var startedAt: Date
    var byteCount: Int64
    var gaps: [Int]
    var finished: Bool
    var turns: [Turn]

    enum CodingKeys: String, CodingKey {
        case url, mimeType = "mime_type", startedAt = "started_at", byteCount = "byte_count", gaps, finished, turns
    }
}
