import CLibPQ
import Foundation

/// One libpq connection, used by one thread at a time (the pool hands it out). Every statement is a synchronous
/// round trip with text parameters and text results, which is all the store needs.
public final class PostgresConnection {
    private let connection: OpaquePointer

    /// Settings that bound every wait, so a database that vanishes fails a call instead of hanging it. Values in the
    /// URL win over these.
    static let defaults: [(String, String)] = [
        ("connect_timeout", "3"),
        ("keepalives_idle", "5"), ("keepalives_interval", "2"), ("keepalives_count", "3"),
        ("tcp_user_timeout", "10000"),
        ("application_name", "jestry"),
    ]

    /// Connects to `url` (`postgres://user:password@host:port/database?…`, anything libpq accepts).
    public init(url: String) throws {
        let keywords = Self.defaults.map(\.0) + ["dbname"]
        let values = Self.defaults.map(\.1) + [url]
        let pointer = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in
                // expand_dbname = 1: the URL is parsed, and what it sets overrides the defaults listed before it.
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let pointer else { throw PostgresError.connection("libpq could not allocate a connection") }
        connection = pointer
        // A failed connection is still freed by `deinit`, which runs for an initialiser that throws from here on.
        guard PQstatus(connection) == CONNECTION_OK else {
            throw PostgresError.connection(Self.message(PQerrorMessage(connection)))
        }
        // Dates travel as ISO text in UTC; a statement that waits longer than this on a lock or the disk fails;
        // notices (a migration's "already exists, skipping") stay out of the engine's standard error.
        try execute("""
            SET TIME ZONE 'UTC'; SET DateStyle = 'ISO'; SET statement_timeout = '15s'; SET client_min_messages = warning
            """)
    }

    deinit { PQfinish(connection) }

    /// Whether the connection is still usable; a broken one is dropped by the pool.
    public var isBroken: Bool { PQstatus(connection) != CONNECTION_OK }

    /// Runs one statement with `$1…$n` parameters and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresBindable] = []) throws -> [PostgresRow] {
        let texts = parameters.map(\.postgresText)
        let result = withOptionalCStrings(texts) { pointers in
            PQexecParams(connection, sql, Int32(texts.count), nil, pointers, nil, nil, 0)
        }
        return try rows(of: result)
    }

    /// Runs statements without parameters (several, separated by `;`): migrations and session settings.
    public func execute(_ sql: String) throws {
        _ = try rows(of: PQexec(connection, sql))
    }

    /// How many rows the last command changed, for `UPDATE`/`DELETE`/`INSERT … ON CONFLICT DO NOTHING`.
    public func command(_ sql: String, _ parameters: [any PostgresBindable] = []) throws -> Int {
        let texts = parameters.map(\.postgresText)
        let result = withOptionalCStrings(texts) { pointers in
            PQexecParams(connection, sql, Int32(texts.count), nil, pointers, nil, nil, 0)
        }
        defer { PQclear(result) }
        try check(result)
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    private func rows(of result: OpaquePointer?) throws -> [PostgresRow] {
        defer { PQclear(result) }
        try check(result)
        let columns = (0..<PQnfields(result)).map { String(cString: PQfname(result, $0)) }
        let index = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return (0..<PQntuples(result)).map { row in
            PostgresRow(columns: index, values: (0..<Int32(columns.count)).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            })
        }
    }

    private func check(_ result: OpaquePointer?) throws {
        guard let result else { throw PostgresError.connection(Self.message(PQerrorMessage(connection))) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return
        default:
            let message = Self.message(PQresultErrorMessage(result))
            guard let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))) else {
                throw PostgresError.connection(message)
            }
            throw PostgresError.server(sqlState: String(cString: state), message: message)
        }
    }

    private static func message(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "unknown error"
    }
}

/// A failed call: the connection (refused, lost, timed out) or the server's answer with its SQLSTATE.
public enum PostgresError: Error, CustomStringConvertible, Equatable {
    case connection(String)
    case server(sqlState: String, message: String)

    /// The transaction lost a race and may simply be run again: serialization failure, deadlock, or a unique key
    /// another transaction took first.
    var isRetryableRace: Bool {
        guard case .server(let state, _) = self else { return false }
        return state == "40001" || state == "40P01" || state == "23505"
    }

    /// A serialization failure or deadlock: the database ends the whole transaction, which is run again.
    var losesTheWholeTransaction: Bool { sqlState == "40001" || sqlState == "40P01" }

    var sqlState: String? {
        guard case .server(let state, _) = self else { return nil }
        return state
    }

    public var description: String {
        switch self {
        case .connection(let message): "PostgreSQL connection: \(message)"
        case .server(let state, let message): "PostgreSQL \(state): \(message)"
        }
    }
}

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) } + [nil])
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { $0.map { strdup($0) } ?? nil }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) })
}
