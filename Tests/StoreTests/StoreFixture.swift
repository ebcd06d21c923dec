import Foundation
import GRDB
import PostgresStore
import Testing
import TestSupport
@testable import Interview
import Store

/// The stores every store test runs against: the embedded SQLite one and the shared PostgreSQL one.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A fresh store: SQLite in its own temporary directory, or PostgreSQL in its own new database on the test server
/// (`TestPostgres`); removed when the fixture goes away.
///
/// Suites set one at the start of each test: Swift Testing makes a new suite instance for every test.
final class StoreFixture {
    let kind: StoreKind
    let store: any EngineStore
    private let directory: URL?
    private let databaseURL: String?

    init(_ kind: StoreKind = .sqlite) throws {
        self.kind = kind
        switch kind {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            self.directory = directory
            databaseURL = nil
            store = try SQLiteStore(path: directory.appendingPathComponent("jestry.sqlite").path)
        case .postgres:
            let url = try TestPostgres.freshDatabase()
            directory = nil
            databaseURL = url
            store = try PostgresStore(url: url, nodeID: "test-node")
        }
    }

    /// The SQLite database file (nil for PostgreSQL).
    var sqlitePath: String? { directory?.appendingPathComponent("jestry.sqlite").path }

    deinit {
        if let directory { try? FileManager.default.removeItem(at: directory) }
        if let databaseURL { TestPostgres.drop(databaseURL) }
    }

    func createAccount(email: String = "ann@example.com", trialMs: Int64 = 600_000, at now: Date = t0) throws -> Account {
        try store.createAccount(NewAccount(name: "Ann", email: email, passwordHash: "pbkdf2-sha256$1$c2FsdA==$aGFzaA==",
                                           birthDate: "1990-01-01"),
                                trialMs: trialMs, at: now)
    }

    /// Starts a session for `accountID` and returns its id.
    @discardableResult
    func startSession(_ id: String, accountID: String, at now: Date = t0) throws -> String {
        try store.apply(.sessionStarted(sessionID: id, trackID: "behavioural", mode: .voice, sampleRate: 16_000, at: now),
                        accountID: accountID)
        return id
    }

    /// The sum of the account's ledger entries, which the cached balance must always equal.
    func ledgerSum(_ accountID: String) throws -> Int64 {
        try store.ledger(accountID: accountID).map(\.amountMs).reduce(0, +)
    }

    // MARK: What is stored, read around the store through a connection of its own

    enum StoredValue: Equatable {
        case text(String)
        case blob(Data)
    }

    /// Rows of a query that both databases understand, every non-null value as text.
    func rows(_ sql: String) throws -> [[String: String]] {
        switch kind {
        case .sqlite:
            return try sqlite().read { db in
                try Row.fetchAll(db, sql: sql).map { row in
                    var values: [String: String] = [:]
                    for (column, value) in row {
                        switch value.storage {
                        case .int64(let number): values[column] = String(number)
                        case .double(let number): values[column] = String(number)
                        case .string(let text): values[column] = text
                        case .blob, .null: break
                        }
                    }
                    return values
                }
            }
        case .postgres:
            return try postgres().queryDictionaries(sql)
        }
    }

    /// Every text and blob value in every table.
    func storedValues() throws -> [StoredValue] {
        switch kind {
        case .sqlite:
            return try sqlite().read { db in
                var values: [StoredValue] = []
                for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") {
                    for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table.quotedDatabaseIdentifier)") {
                        for (_, value) in row {
                            switch value.storage {
                            case .string(let text): values.append(.text(text))
                            case .blob(let data): values.append(.blob(data))
                            default: break
                            }
                        }
                    }
                }
                return values
            }
        case .postgres:
            let connection = try postgres()
            var values: [StoredValue] = []
            let columns = try connection.query("""
                SELECT table_name, column_name, data_type FROM information_schema.columns
                WHERE table_schema = 'public' AND data_type IN ('text', 'bytea')
                """)
            for column in columns {
                let table: String = try column.decode("table_name")
                let name: String = try column.decode("column_name")
                let isBlob = try column.decode("data_type", as: String.self) == "bytea"
                for row in try connection.query("SELECT \"\(name)\" AS value FROM \"\(table)\" WHERE \"\(name)\" IS NOT NULL") {
                    values.append(isBlob ? .blob(try row.decode("value")) : .text(try row.decode("value")))
                }
            }
            return values
        }
    }

    private func sqlite() throws -> DatabaseQueue {
        try DatabaseQueue(path: directory!.appendingPathComponent("jestry.sqlite").path)
    }

    private func postgres() throws -> PostgresConnection { try PostgresConnection(url: databaseURL!) }
}

extension PostgresConnection {
    func queryDictionaries(_ sql: String) throws -> [[String: String]] {
        try query(sql).map { row in
            var values: [String: String] = [:]
            for (column, value) in zip(row.columnNames, row.texts) where value != nil { values[column] = value }
            return values
        }
    }
}

/// A fixed instant; store tests never read the clock. Whole seconds, so dates survive the round trip exactly.
let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

/// `QuestionAsked` has no public initialiser: the core makes them.
func askedQuestion(_ number: Int, kind: QuestionKind = .main, mainNumber: Int = 1, text: String = "Tell me about a time.",
                   template: TemplateRef = TemplateRef(id: "behavioural.conflict", version: "0123456789ab")) -> QuestionAsked {
    QuestionAsked(questionID: "q\(number)", number: number, kind: kind, text: text, template: template,
                  mainNumber: mainNumber, targetSeconds: 120)
}
