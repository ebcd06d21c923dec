import Foundation

/// Where a session's video lives, `<data>/recordings/<session id>.webm`, beside its audio recording, and where the
/// chunks that arrived ahead of their turn wait (`<session id>.webm-held/<number>`).
///
/// The one place that path convention is spelled; `RecordingFiles.remove` deletes both with the session.
public enum VideoRecordingFiles {
    /// Every WebM file starts with an EBML header, whose element id is these four bytes.
    static let ebmlMagic: [UInt8] = [0x1A, 0x45, 0xDF, 0xA3]
    static let contentType = "video/webm"

    public static func file(forSession sessionID: String, dataDirectory: URL) -> URL? {
        guard RecordingFiles.isSafeIdentifier(sessionID) else { return nil }
        return RecordingFiles.directory(dataDirectory: dataDirectory).appendingPathComponent("\(sessionID).webm")
    }

    static func heldDirectory(forSession sessionID: String, dataDirectory: URL) -> URL? {
        guard RecordingFiles.isSafeIdentifier(sessionID) else { return nil }
        return RecordingFiles.directory(dataDirectory: dataDirectory).appendingPathComponent("\(sessionID).webm-held", isDirectory: true)
    }

    /// Where the finished video is written with its index (`WebMIndex`) before it replaces the file.
    static func indexingFile(forSession sessionID: String, dataDirectory: URL) -> URL? {
        guard RecordingFiles.isSafeIdentifier(sessionID) else { return nil }
        return RecordingFiles.directory(dataDirectory: dataDirectory).appendingPathComponent("\(sessionID).webm-indexing")
    }

    public static func exists(forSession sessionID: String, dataDirectory: URL) -> Bool {
        guard let file = file(forSession: sessionID, dataDirectory: dataDirectory) else { return false }
        return FileManager.default.fileExists(atPath: file.path)
    }

    /// The API path that plays the video (and takes its upload).
    public static func urlPath(forSession sessionID: String) -> String { "/v1/sessions/\(sessionID)/video" }

    /// `/v1/sessions/{id}/video` → the id.
    static func sessionID(playbackPath path: String) -> String? {
        let parts = path.split(separator: "/")
        guard parts.count == 4, parts[0] == "v1", parts[1] == "sessions", parts[3] == "video" else { return nil }
        return String(parts[2])
    }

    /// `/v1/sessions/{id}/video/chunks/{n}`: the one path whose bodies may be as large as a video chunk.
    static func isChunkPath(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        return parts.count == 6 && parts[0] == "v1" && parts[1] == "sessions" && parts[3] == "video" && parts[4] == "chunks"
    }

    static func startsWithEBMLHeader(_ bytes: Data) -> Bool {
        bytes.count >= ebmlMagic.count && bytes.prefix(ebmlMagic.count).elementsEqual(ebmlMagic)
    }

    /// Whether the file at `url` is WebM (starts with an EBML header): checked before a stored video is served.
    static func isWebM(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        return startsWithEBMLHeader((try? handle.read(upToCount: ebmlMagic.count)) ?? Data())
    }

    /// Deletes the video and its held chunks, if any. Throws only when something exists and cannot be removed.
    public static func remove(forSession sessionID: String, dataDirectory: URL) throws {
        for url in [file(forSession: sessionID, dataDirectory: dataDirectory),
                    heldDirectory(forSession: sessionID, dataDirectory: dataDirectory),
                    indexingFile(forSession: sessionID, dataDirectory: dataDirectory)].compactMap({ $0 }) {
            do {
                try FileManager.default.removeItem(at: url)
            } catch {
                if FileManager.default.fileExists(atPath: url.path) { throw error }
            }
        }
    }
}
