import Foundation
import Logging
import Security
import Store

/// Takes a session's video in numbered chunks and appends them to its file in number order.
///
/// Every upload runs on the store writer (the queue that writes session records), so the work of one session is
/// serial, the session's row exists before its first chunk is looked at (its `sessionStarted` record was queued
/// before the browser heard `session.started`), and the file and the chunk rows always change together: the file is
/// cut back to the stored length before each append, so bytes a crash left after the last stored chunk never stay.
/// A chunk that arrives ahead of its turn waits in the held folder (at most `maxChunksAhead` ahead); one that never
/// arrives is recorded as a gap when chunks far enough ahead of it come, or when the client finishes. A finished
/// video is indexed for seeking (`WebMIndex`) on a queue of its own.
final class VideoUploads: Sendable {
    /// How far ahead of the next expected chunk one may arrive and wait; a chunk even further ahead turns the oldest
    /// missing ones into gaps.
    static let maxChunksAhead = 16
    /// Chunk numbers end here: more than 24 hours of one-second chunks.
    static let maxChunkNumber = 100_000
    /// The most chunks one upload may declare missing at once (ten minutes of one-second chunks).
    static let maxGapsAtOnce = 600

    let store: any EngineStore
    let configuration: ServerConfiguration
    let logger: Logger
    let writer: DispatchQueue
    let chunksPerSession: RateLimiter
    /// Finished videos get their index (`WebMIndex`) here, away from the writer: it reads and writes the whole file.
    private let indexing = DispatchQueue(label: "jestry.video-index", qos: .utility)

    init(store: any EngineStore, configuration: ServerConfiguration, logger: Logger, writer: DispatchQueue) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.writer = writer
        chunksPerSession = RateLimiter(configuration.videoChunkLimit, clock: configuration.clock)
    }

    private var dataDirectory: URL { configuration.dataDirectory }
    private var now: Date { configuration.clock() }

    // MARK: Begin

    /// Starts (or, after a reconnect, finds) the session's video. `recordingMs`: how long the browser has been
    /// recording when it sent this, so the video's start is right even when the request was late or repeated.
    func begin(sessionID: String, accountID: String, mimeType: String, recordingMs: Int64) throws -> HTTPResponse {
        try writer.sync {
            guard let target = try store.videoTarget(sessionID: sessionID, accountID: accountID) else { return Self.notFound(sessionID) }
            if let video = target.video { return try stateResponse(200, video, accountID: accountID) }
            if target.sessionEndedAt != nil {
                return .error(409, "session_ended", "This interview has ended; a video can only be started while it runs.")
            }
            let startedAt = now.addingTimeInterval(-Double(recordingMs) / 1000)
            let video = try store.beginVideo(sessionID: sessionID, accountID: accountID, mimeType: mimeType, startedAt: startedAt)
            logger.info("video recording started", metadata: ["session.id": "\(sessionID)"])
            return try stateResponse(201, video, accountID: accountID)
        }
    }

    // MARK: Chunks

    func receiveChunk(sessionID: String, accountID: String, number: Int, bytes: Data) throws -> HTTPResponse {
        guard (0...Self.maxChunkNumber).contains(number) else {
            return .error(400, "invalid_chunk_number", "Chunk numbers are whole numbers from 0 to \(Self.maxChunkNumber).")
        }
        guard !bytes.isEmpty else { return .error(400, "empty_chunk", "A chunk needs a body: the recorder's bytes, as video/webm.") }
        // Keyed by the caller too, so nobody can spend another account's budget.
        let wait = chunksPerSession.take("\(accountID)/\(sessionID)")
        guard wait == 0 else { return .rateLimited("Too many chunks for this video.", retryAfter: wait) }
        return try writer.sync {
            guard let target = try store.videoTarget(sessionID: sessionID, accountID: accountID) else { return Self.notFound(sessionID) }
            guard let video = target.video else {
                return .error(409, "video_not_started", "Start the video first: POST /v1/sessions/\(sessionID)/video.")
            }
            if let refusal = closed(video, sessionEndedAt: target.sessionEndedAt) { return refusal }
            let digest = Digest.sha256(bytes)
            if number < video.nextChunk {
                guard let stored = try store.videoChunk(sessionID: sessionID, number: number) else {
                    return Self.chunkConflict(number)
                }
                if stored.isGap {
                    return .error(409, "chunk_skipped", "Chunk \(number) was recorded as missing and the video has moved past it; send the chunks after \(video.nextChunk - 1).")
                }
                return stored.sha256 == digest ? try chunkResponse(number, "duplicate", video, accountID: accountID)
                                               : Self.chunkConflict(number)
            }
            if number == 0, !VideoRecordingFiles.startsWithEBMLHeader(bytes) {
                return .error(415, "not_webm", "Chunk 0 must start with a WebM (EBML) header: record with MediaRecorder as video/webm.")
            }
            guard number - video.nextChunk <= Self.maxGapsAtOnce else {
                return .error(409, "chunk_too_far_ahead", "Chunk \(number) is more than \(Self.maxGapsAtOnce) ahead of the next one expected, \(video.nextChunk).")
            }
            let held = try heldFile(sessionID, number)
            if number > video.nextChunk, let existing = try? Data(contentsOf: held) {
                guard Digest.sha256(existing) == digest else { return Self.chunkConflict(number) }
                return try chunkResponse(number, "duplicate", video, accountID: accountID)
            }
            let limit = configuration.videoStorageBytesPerAccount
            let used = try store.videoBytes(accountID: accountID)
            if limit > 0, used + Int64(bytes.count) > limit {
                return .error(507, "storage_limit_reached", "Your recordings use \(Self.mebibytes(used)) of your \(Self.mebibytes(limit)); "
                              + "this video stops here. Delete old interviews in your history to record more.")
            }
            if number > video.nextChunk {
                try FileManager.default.createDirectory(at: held.deletingLastPathComponent(), withIntermediateDirectories: true)
                try bytes.write(to: held, options: .atomic)
                let skipTo = number - Self.maxChunksAhead
                guard skipTo > video.nextChunk else { return try chunkResponse(number, "held", video, accountID: accountID) }
                let after = try append(to: video, now: nil, skippingTo: skipTo)
                return try chunkResponse(number, after.nextChunk > number ? "appended" : "held", after, accountID: accountID)
            }
            let after = try append(to: video, now: (number, bytes, digest), skippingTo: nil)
            return try chunkResponse(number, "appended", after, accountID: accountID)
        }
    }

    // MARK: Finish

    /// The client has sent every chunk it will (`chunks`: how many it made); the missing ones become gaps.
    func finish(sessionID: String, accountID: String, chunks: Int) throws -> HTTPResponse {
        try writer.sync {
            guard let target = try store.videoTarget(sessionID: sessionID, accountID: accountID) else { return Self.notFound(sessionID) }
            guard let video = target.video else {
                return .error(409, "video_not_started", "Start the video first: POST /v1/sessions/\(sessionID)/video.")
            }
            if video.finishedAt != nil { return try stateResponse(200, video, accountID: accountID) }  // finishing twice is fine
            guard chunks >= 0, chunks - video.nextChunk <= Self.maxGapsAtOnce else {
                return .error(400, "invalid_field", "\"chunks\" must be the number of chunks recorded, at most \(Self.maxGapsAtOnce) past the next expected, \(video.nextChunk).")
            }
            let after = try append(to: video, now: nil, skippingTo: max(chunks, video.nextChunk), finishing: true)
            if let held = VideoRecordingFiles.heldDirectory(forSession: sessionID, dataDirectory: dataDirectory) {
                try? FileManager.default.removeItem(at: held)
            }
            logger.info("video recording finished", metadata: ["session.id": "\(sessionID)", "bytes": "\(after.byteCount)",
                                                             "gaps": "\(after.gaps.count)"])
            // Where the missing chunks would have been: the index reads nothing across them.
            let gaps = try after.gaps.compactMap { try store.videoChunk(sessionID: sessionID, number: $0).map { Int($0.byteOffset) } }
            index(sessionID, accountID: accountID, gaps: gaps)
            return try stateResponse(200, after, accountID: accountID)
        }
    }

    /// Writes the finished video again with its duration and cues, so a player can seek in it without reading what
    /// comes before, and swaps it in on the writer, unless the session was deleted meanwhile.
    private func index(_ sessionID: String, accountID: String, gaps: [Int]) {
        guard let file = VideoRecordingFiles.file(forSession: sessionID, dataDirectory: dataDirectory),
              let indexed = VideoRecordingFiles.indexingFile(forSession: sessionID, dataDirectory: dataDirectory) else { return }
        indexing.async { [self] in
            do {
                guard try WebMIndex.writeIndexed(file, to: indexed, gaps: gaps) else { return }
                try writer.sync {
                    if try store.videoTarget(sessionID: sessionID, accountID: accountID)?.video != nil,
                       rename(indexed.path, file.path) == 0 { return }
                    try? FileManager.default.removeItem(at: indexed)
                }
            } catch {
                logger.error("could not index a finished video", metadata: ["session.id": "\(sessionID)", "error": "\(error)"])
                try? FileManager.default.removeItem(at: indexed)
            }
        }
    }

    // MARK: Appending, on the writer

    /// Appends `current` (the next expected chunk, if it came), then every held chunk that follows, recording each
    /// missing number below `skippingTo` as a gap; one store transaction for all. If the store refuses, the file is
    /// cut back and the held chunks stay.
    private func append(to video: VideoRecording, now current: (number: Int, bytes: Data, digest: Data)?, skippingTo: Int?,
                        finishing: Bool = false) throws -> VideoRecording {
        let sessionID = video.sessionID
        guard let file = VideoRecordingFiles.file(forSession: sessionID, dataDirectory: dataDirectory) else { return video }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        // A file that cannot be created makes the open below throw.
        if !FileManager.default.fileExists(atPath: file.path) { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try handle.truncate(atOffset: UInt64(video.byteCount))
        try handle.seek(toOffset: UInt64(video.byteCount))
        var chunks: [VideoChunk] = []
        var consumed: [URL] = []
        var next = video.nextChunk
        var offset = video.byteCount
        func write(_ bytes: Data, digest: Data) throws {
            try handle.write(contentsOf: bytes)
            chunks.append(VideoChunk(number: next, byteOffset: offset, byteCount: Int64(bytes.count), sha256: digest))
            offset += Int64(bytes.count)
            next += 1
        }
        if let current, current.number == next { try write(current.bytes, digest: current.digest) }
        while true {
            let held = try heldFile(sessionID, next)
            if let bytes = try? Data(contentsOf: held) {
                try write(bytes, digest: Digest.sha256(bytes))
                consumed.append(held)
            } else if let skippingTo, next < skippingTo {
                chunks.append(VideoChunk(number: next, byteOffset: offset, byteCount: 0, sha256: nil))
                next += 1
            } else {
                break
            }
        }
        do {
            // No fsync per chunk: a crashed process loses nothing the kernel has; only a power cut could lose the tail.
            let after = try store.appendVideoChunks(sessionID: sessionID, chunks, finishedAt: finishing ? self.now : nil)
            for url in consumed { try? FileManager.default.removeItem(at: url) }
            return after
        } catch {
            try? handle.truncate(atOffset: UInt64(video.byteCount))
            throw error
        }
    }

    private func heldFile(_ sessionID: String, _ number: Int) throws -> URL {
        guard let directory = VideoRecordingFiles.heldDirectory(forSession: sessionID, dataDirectory: dataDirectory) else {
            throw VideoStoreError("not a session id: \(sessionID.prefix(64))")
        }
        return directory.appendingPathComponent("\(number)")
    }

    /// Runs `body` (deleting a session's files) after every append already queued, so none can write a file again
    /// after it is gone; later uploads find no session and get 404.
    func afterPendingAppends<T>(_ body: () throws -> T) rethrows -> T {
        try writer.sync(execute: body)
    }

    // MARK: Answers

    private func closed(_ video: VideoRecording, sessionEndedAt: Date?) -> HTTPResponse? {
        if video.finishedAt != nil {
            return .error(409, "video_finished", "This video is complete; it takes no more chunks.")
        }
        if let ended = sessionEndedAt, now.timeIntervalSince(ended) > configuration.videoUploadGraceSeconds {
            return .error(409, "session_ended", "This interview ended more than \(Int(configuration.videoUploadGraceSeconds)) s ago; its video takes no more chunks.")
        }
        return nil
    }

    private func chunkResponse(_ number: Int, _ status: String, _ video: VideoRecording, accountID: String) throws -> HTTPResponse {
        .json(200, ChunkReceiptView(chunk: number, status: status, video: try state(video, accountID: accountID)))
    }

    private func stateResponse(_ status: UInt32, _ video: VideoRecording, accountID: String) throws -> HTTPResponse {
        .json(status, ["video": try state(video, accountID: accountID)])
    }

    private func state(_ video: VideoRecording, accountID: String) throws -> VideoUploadView {
        let held = VideoRecordingFiles.heldDirectory(forSession: video.sessionID, dataDirectory: dataDirectory)
            .flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0.path) } ?? []
        return VideoUploadView(video: video, held: held.compactMap(Int.init).sorted(),
                               maxChunkBytes: configuration.maxVideoChunkBytes,
                               storageUsedBytes: try store.videoBytes(accountID: accountID),
                               storageLimitBytes: configuration.videoStorageBytesPerAccount)
    }

    static func notFound(_ sessionID: String) -> HTTPResponse {
        .error(404, "not_found", "There is no session \(sessionID.prefix(64)) in your history.")
    }

    static func chunkConflict(_ number: Int) -> HTTPResponse {
        .error(409, "chunk_conflict", "Chunk \(number) was received already with different bytes; the first one is kept.")
    }

    static func mebibytes(_ bytes: Int64) -> String { "\((Double(bytes) / 1_048_576 * 10).rounded() / 10) MiB" }
}

/// The upload's state as the client sees it: enough to resume after a reconnect (`next_chunk`, `held`).
struct VideoUploadView: Encodable {
    var video: VideoRecording
    var held: [Int]
    var maxChunkBytes: Int
    var storageUsedBytes: Int64
    var storageLimitBytes: Int64

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id", url, mimeType = "mime_type", startedAt = "started_at", byteCount = "byte_count"
        case nextChunk = "next_chunk", held, gaps, finished, maxChunkBytes = "max_chunk_bytes"
        case storageUsedBytes = "storage_used_bytes", storageLimitBytes = "storage_limit_bytes"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(video.sessionID, forKey: .sessionID)
        try container.encode(VideoRecordingFiles.urlPath(forSession: video.sessionID), forKey: .url)
        try container.encode(video.mimeType, forKey: .mimeType)
        try container.encode(video.startedAt, forKey: .startedAt)
        try container.encode(video.byteCount, forKey: .byteCount)
        try container.encode(video.nextChunk, forKey: .nextChunk)
        try container.encode(held, forKey: .held)
        try container.encode(video.gaps, forKey: .gaps)
        try container.encode(video.finishedAt != nil, forKey: .finished)
        try container.encode(maxChunkBytes, forKey: .maxChunkBytes)
        try container.encode(storageUsedBytes, forKey: .storageUsedBytes)
        try container.encode(storageLimitBytes, forKey: .storageLimitBytes)
    }
}

struct ChunkReceiptView: Encodable {
    var chunk: Int
    var status: String
    var video: VideoUploadView
}
