import ArgumentParser
import Foundation
import PostgresStore
import Server
import Store

/// Which database `jestry serve` and `jestry minutes` open: SQLite in the data folder by default, or a PostgreSQL
/// server that a fleet of engine nodes shares.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "A PostgreSQL URL, postgres://user@host:port/database, for a fleet sharing one store; keep the password out of it (PGPASSWORD or ~/.pgpass). [env: JESTRY_DATABASE, default SQLite in the data folder]")
    var database: String?
    @Option(help: "This node's name in a fleet: letters, digits, -, _ and . [env: JESTRY_NODE_ID, default the host name]")
    var nodeID: String?

    /// The PostgreSQL URL, if one was given; refuses anything else.
    func url() throws -> String? {
        guard let url = database ?? Environment.value("JESTRY_DATABASE") else { return nil }
        // Never echo the URL: it may hold a password.
        guard StoreSelection.isPostgresURL(url) else {
            throw ValidationError("--database must be a postgres:// or postgresql:// URL (without it, SQLite in --data is used)")
        }
        return url
    }

    func node() throws -> String {
        let id = nodeID ?? Environment.value("JESTRY_NODE_ID") ?? ProcessInfo.processInfo.hostName
        guard StoreSelection.isValidNodeID(id) else {
            throw ValidationError("--node-id must be 1 to 64 letters, digits, -, _ or . (got \"\(id)\")")
        }
        return id
    }

    func apply(to configuration: inout ServerConfiguration) throws {
        configuration.databaseURL = try url()
        configuration.nodeID = try node()
    }
}
