import Foundation
import PostgresStore
import Store

/// Which store an engine opens: PostgreSQL when the configuration names a database URL, else SQLite in its data
/// folder (the default).
public enum StoreSelection {
    public static func open(_ configuration: ServerConfiguration) throws -> any EngineStore {
        guard let url = configuration.databaseURL else { return try SQLiteStore(path: configuration.databasePath) }
        return try PostgresStore(url: url, nodeID: configuration.nodeID)
    }

    /// Whether `url` is one this engine opens with PostgreSQL.
    public static func isPostgresURL(_ url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    /// Whether `id` can name a node: 1–64 letters, digits, `-`, `_` or `.` (a host name fits).
    public static func isValidNodeID(_ id: String) -> Bool {
        (1...64).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
