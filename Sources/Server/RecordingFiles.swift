import Foundation

/// Where a session's recording lives, `<data>/recordings/<session id>.wav`, and the URL it is served at.
///
/// The one place that path convention is spelled: deleting a session or an account removes the file through it,
/// and the history lists `recording_url` only when the file exists.
public enum RecordingFiles {
    public static func directory(dataDirectory: URL) -> URL {
        dataDirectory.appendingPathComponent("recordings", isDirectory: true)
    }

    /// The file for `sessionID`, or nil when the id could not be a session id (only letters, digits, `-` and `_`
    /// are allowed, so no id can name a path outside the folder).
    public static func file(forSession sessionID: String, dataDirectory: URL) -> URL? {
        guard isSafeIdentifier(sessionID) else { return nil }
        return directory(dataDirectory: dataDirectory).appendingPathComponent("\(sessionID).wav")
    }

    public static func exists(forSession sessionID: String, dataDirectory: URL) -> Bool {
        guard let file = file(forSession: sessionID, dataDirectory: dataDirectory) else { return false }
        return FileManager.default.fileExists(atPath: file.path)
    }

    /// The API path that serves the recording.
    public static func urlPath(forSession sessionID: String) -> String { "/v1/sessions/\(sessionID)/recording" }

    /// Deletes the recording, and the session's video, if there are any. Throws only when a file exists and cannot
    /// be removed.
    public static func remove(forSession sessionID: String, dataDirectory: URL) throws {
        try VideoRecordingFiles.remove(forSession: sessionID, dataDirectory: dataDirectory)
        guard let file = file(forSession: sessionID, dataDirectory: dataDirectory) else { return }
        do {
            try FileManager.default.removeItem(at: file)
        } catch CocoaError.fileNoSuchFile {
            return
        } catch let error as NSError where error.domain == NSPOSIXErrorDomain && error.code == Int(ENOENT) {
            return
        } catch {
            if FileManager.default.fileExists(atPath: file.path) { throw error }
        }
    }

    static func isSafeIdentifier(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}
