import Foundation
import GRDB
import Testing
import Security
import Store

@Suite final class TokenTests {
    let fixture: StoreFixture
    init() throws { fixture = try StoreFixture() }
    var store: SQLiteStore { fixture.store }

    @Test func issuedTokenResolvesToItsAccountUntilItExpires() throws {
        let account = try fixture.createAccount()
        let token = try store.issueToken(accountID: account.id, at: t0, lifetime: 3600)
        #expect(try store.accountID(forToken: token, at: t0) == account.id)
        #expect(try store.accountID(forToken: token, at: at(3599)) == account.id)
        #expect(try store.accountID(forToken: token, at: at(3600)) == nil)
        #expect(try store.accountID(forToken: token, at: at(86_400)) == nil)
    }

    @Test func tokenWithNegativeLifetimeIsAlreadyExpired() throws {
        let account = try fixture.createAccount()
        let token = try store.issueToken(accountID: account.id, at: t0, lifetime: -1)
        #expect(try store.accountID(forToken: token, at: t0) == nil)
    }

    @Test func unknownTokenResolvesToNothing() throws {
        let account = try fixture.createAccount()
        let token = try store.issueToken(accountID: account.id, at: t0, lifetime: 3600)
        #expect(try store.accountID(forToken: "not-a-token", at: t0) == nil)
        #expect(try store.accountID(forToken: String(token.dropLast()), at: t0) == nil)
        #expect(try store.accountID(forToken: "", at: t0) == nil)
    }

    @Test func everyTokenIsNewAndEachResolves() throws {
        let ann = try fixture.createAccount(email: "ann@example.com")
        let bob = try fixture.createAccount(email: "bob@example.com")
        let first = try store.issueToken(accountID: ann.id, at: t0, lifetime: 3600)
        let second = try store.issueToken(accountID: ann.id, at: t0, lifetime: 3600)
        let bobs = try store.issueToken(accountID: bob.id, at: t0, lifetime: 3600)
        #expect(Set([first, second, bobs]).count == 3)
        #expect(try store.accountID(forToken: second, at: t0) == ann.id)
        #expect(try store.accountID(forToken: bobs, at: t0) == bob.id)
    }

    /// A leaked database must not hand out sessions: no column of any table holds the token itself.
    @Test func tokenIsNotStoredInClear() throws {
        let account = try fixture.createAccount()
        let token = try store.issueToken(accountID: account.id, at: t0, lifetime: 3600)
        let values = try allStoredValues()
        #expect(values.contains(.blob(Digest.sha256(Data(token.utf8)))), "the token's hash is stored, so the scan saw it")
        for value in values {
            switch value {
            case .text(let text): #expect(!text.contains(token))
            case .blob(let data): #expect(data.range(of: Data(token.utf8)) == nil)
            }
        }
    }

    enum StoredValue: Equatable {
        case text(String)
        case blob(Data)
    }

    /// Every text and blob value in every table, read through a separate connection.
    func allStoredValues() throws -> [StoredValue] {
        let queue = try DatabaseQueue(path: fixture.databasePath)
        return try queue.read { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            var values: [StoredValue] = []
            for table in tables {
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
    }
}
