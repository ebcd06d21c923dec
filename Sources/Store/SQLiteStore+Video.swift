import Foundation
import GRDB

/// Session videos: the row per video and one row per chunk in its file (or missing from it).
extension SQLiteStore {
    public func videoTarget(sessionID: String, accountID: String) throws -> VideoUploadTarget? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT ended_at FROM sessions WHERE id = ? AND account_id = ?",
                                             arguments: [sessionID, accountID]) else { return nil }
            return VideoUploadTarget(sessionEndedAt: row["ended_at"], video: try Self.video(db, sessionID: sessionID))
        }
    }

    public func beginVideo(sessionID: String, accountID: String, mimeType: String, startedAt: Date) throws -> VideoRecording {
        try immediate { db in
            try db.execute(sql: """
                INSERT INTO session_videos (session_id, account_id, mime_type, started_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (session_id) DO NOTHING
                """, arguments: [sessionID, accountID, mimeType, startedAt])
            guard let video = try Self.video(db, sessionID: sessionID) else { throw VideoStoreError("no session \(sessionID) to record") }
            return video
        }
    }

    public func videoChunk(sessionID: String, number: Int) throws -> VideoChunk? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM video_chunks WHERE session_id = ? AND number = ?",
                             arguments: [sessionID, number]).map {
                VideoChunk(number: $0["number"], byteOffset: $0["byte_offset"], byteCount: $0["byte_count"], sha256: $0["sha256"])
            }
        }
    }

    public func appendVideoChunks(sessionID: String, _ chunks: [VideoChunk], finishedAt: Date?) throws -> VideoRecording {
        try immediate { db in
            guard var video = try Self.video(db, sessionID: sessionID) else {
                throw VideoStoreError("no video for session \(sessionID)")
            }
            for chunk in chunks {
                // The file and the rows must agree: a chunk out of order or at the wrong offset is a caller's bug.
                guard chunk.number == video.nextChunk, chunk.byteOffset == video.byteCount else {
                    throw VideoStoreError("chunk \(chunk.number) at \(chunk.byteOffset) does not follow \(video.nextChunk) at \(video.byteCount)")
                }
                try db.execute(sql: """
                    INSERT INTO video_chunks (session_id, number, byte_offset, byte_count, sha256) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [sessionID, chunk.number, chunk.byteOffset, chunk.byteCount, chunk.sha256])
                video.nextChunk += 1
                video.byteCount += chunk.byteCount
            }
            try db.execute(sql: """
                UPDATE session_videos SET byte_count = ?, next_chunk = ?, finished_at = COALESCE(finished_at, ?) WHERE session_id = ?
                """, arguments: [video.byteCount, video.nextChunk, finishedAt, sessionID])
            return try Self.video(db, sessionID: sessionID) ?? video
        }
    }

    public func videoBytes(accountID: String) throws -> Int64 {
        try pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(byte_count), 0) FROM session_videos WHERE account_id = ?",
                               arguments: [accountID]) ?? 0
        }
    }

    static func video(_ db: Database, sessionID: String) throws -> VideoRecording? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM session_videos WHERE session_id = ?", arguments: [sessionID]) else {
            return nil
        }
        let gaps = try Int.fetchAll(db, sql: "SELECT number FROM video_chunks WHERE session_id = ? AND sha256 IS NULL ORDER BY number",
                                    arguments: [sessionID])
        return VideoRecording(sessionID: sessionID, mimeType: row["mime_type"], startedAt: row["started_at"],
                              byteCount: row["byte_count"], nextChunk: row["next_chunk"], gaps: gaps, finishedAt: row["finished_at"])
    }
}
