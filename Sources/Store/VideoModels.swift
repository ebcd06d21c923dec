import Foundation

/// A session's video recording as the store knows it: which chunks are in its file, in order, and where it starts.
///
/// Invariant: until the video is finished, the file holds exactly `byteCount` bytes, the chunks numbered below
/// `nextChunk` that arrived, in number order; the numbers in `gaps` never arrived and have no bytes. Once finished,
/// the engine may write the file again with an index in front of the same chunks (a little larger than `byteCount`).
public struct VideoRecording: Sendable, Equatable {
    public var sessionID: String
    public var mimeType: String
    /// When the browser started recording, on the engine's clock: offsets into the video count from here.
    public var startedAt: Date
    public var byteCount: Int64
    /// The number the next appended chunk must have.
    public var nextChunk: Int
    /// Chunk numbers below `nextChunk` that never arrived (recorded as missing).
    public var gaps: [Int]
    /// Set when the client said the recording is complete; nothing is appended after it.
    public var finishedAt: Date?

    public init(sessionID: String, mimeType: String, startedAt: Date, byteCount: Int64 = 0, nextChunk: Int = 0,
                gaps: [Int] = [], finishedAt: Date? = nil) {
        self.sessionID = sessionID
        self.mimeType = mimeType
        self.startedAt = startedAt
        self.byteCount = byteCount
        self.nextChunk = nextChunk
        self.gaps = gaps
        self.finishedAt = finishedAt
    }
}

/// A session as a video upload sees it, read together: whether the interview has ended, and its video so far.
public struct VideoUploadTarget: Sendable, Equatable {
    public var sessionEndedAt: Date?
    public var video: VideoRecording?

    public init(sessionEndedAt: Date?, video: VideoRecording?) {
        self.sessionEndedAt = sessionEndedAt
        self.video = video
    }
}

/// One numbered chunk of a video, appended at `byteOffset`; a gap has no bytes and no digest.
public struct VideoChunk: Sendable, Equatable {
    public var number: Int
    public var byteOffset: Int64
    public var byteCount: Int64
    /// SHA-256 of the chunk's bytes, so a repeated upload can be told from a different one; nil for a gap.
    public var sha256: Data?

    public init(number: Int, byteOffset: Int64, byteCount: Int64, sha256: Data?) {
        self.number = number
        self.byteOffset = byteOffset
        self.byteCount = byteCount
        self.sha256 = sha256
    }

    public var isGap: Bool { sha256 == nil }
}

/// A video write that does not fit what is stored: a caller's bug, never the client's input.
public struct VideoStoreError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
