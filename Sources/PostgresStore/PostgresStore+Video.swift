import Foundation
import Store

/// Session videos, as `SQLiteStore+Video` keeps them: the row per video and one row per chunk in its file (or
/// missing from it).
extension PostgresStore {
    public func videoTarget(sessionID: String, accountID: String) throws -> VideoUploadTarget? {
        try pool.transaction("REPEATABLE READ READ ONLY") { connection in
            guard let row = try connection.query("SELECT ended_at FROM sessions WHERE id = $1 AND account_id = $2",
                                                 [sessionID, accountID]).first else { return nil }
            return VideoUploadTarget(sessionEndedAt: try row.decode("ended_at"), video: try Self.video(connection, sessionID: sessionID))
        }
    }

    public func beginVideo(sessionID: String, accountID: String, mimeType: String, startedAt: Date) throws -> VideoRecording {
        try pool.transaction { connection in
            try connection.query("""
                INSERT INTO session_videos (session_id, account_id, mime_type, started_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (session_id) DO NOTHING
                """, [sessionID, accountID, mimeType, startedAt])
            guard let video = try Self.video(connection, sessionID: sessionID) else {
                throw VideoStoreError("no session \(sessionID) to record")
            }
            return video
        }
    }

    public func videoChunk(sessionID: String, number: Int) throws -> VideoChunk? {
        try pool.read { connection in
            try connection.query("SELECT * FROM video_chunks WHERE session_id = $1 AND number = $2", [sessionID, number]).first.map {
                VideoChunk(number: try $0.decode("number"), byteOffset: try $0.decode("byte_offset"),
                           byteCount: try $0.decode("byte_count"), sha256: try $0.decode("sha256"))
            }
        }
    }

    public func appendVideoChunks(sessionID: String, _ chunks: [VideoChunk], finishedAt: Date?) throws -> VideoRecording {
        try pool.transaction { connection in
            // The video's row locked: two nodes appending to one video take turns.
            guard try !connection.query("SELECT 1 FROM session_videos WHERE session_id = $1 FOR UPDATE", [sessionID]).isEmpty,
                  var video = try Self.video(connection, sessionID: sessionID) else {
                throw VideoStoreError("no video for session \(sessionID)")
            }
            for chunk in chunks {
                // The file and the rows must agree: a chunk out of order or at the wrong offset is a caller's bug.
                guard chunk.number == video.nextChunk, chunk.byteOffset == video.byteCount else {
                    throw VideoStoreError("chunk \(chunk.number) at \(chunk.byteOffset) does not follow \(video.nextChunk) at \(video.byteCount)")
                }
                try connection.query("""
                    INSERT INTO video_chunks (session_id, number, byte_offset, byte_count, sha256) VALUES ($1, $2, $3, $4, $5)
                    """, [sessionID, chunk.number, chunk.byteOffset, chunk.byteCount, chunk.sha256])
                video.nextChunk += 1
                video.byteCount += chunk.byteCount
            }
            try connection.query("""
                UPDATE session_videos SET byte_count = $1, next_chunk = $2, finished_at = COALESCE(finished_at, $3)
                WHERE session_id = $4
                """, [video.byteCount, video.nextChunk, finishedAt, sessionID])
            return try Self.video(connection, sessionID: sessionID) ?? video
        }
    }

    public func videoBytes(accountID: String) throws -> Int64 {
        try pool.read { connection in
            try connection.query("SELECT COALESCE(SUM(byte_count), 0)::bigint AS total FROM session_videos WHERE account_id = $1",
                                 [accountID]).first?.decode("total") ?? 0
        }
    }

    static func video(_ connection: PostgresConnection, sessionID: String) throws -> VideoRecording? {
        guard let row = try connection.query("SELECT * FROM session_videos WHERE session_id = $1", [sessionID]).first else {
            return nil
        }
        let gaps = try connection.query("""
            SELECT number FROM video_chunks WHERE session_id = $1 AND sha256 IS NULL ORDER BY number
            """, [sessionID]).map { try $0.decode("number", as: Int.self) }
        return VideoRecording(sessionID: sessionID, mimeType: try row.decode("mime_type"), startedAt: try row.decode("started_at"),
                              byteCount: try row.decode("byte_count"), nextChunk: try row.decode("next_chunk"), gaps: gaps,
                              finishedAt: try row.decode("finished_at"))
    }
}
