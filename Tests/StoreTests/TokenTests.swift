import Foundation
import Testing
import Security
import Store

@Suite final class TokenTests {
    /// Set by each test for the store it runs against.
    var fixture: StoreFixture!
    var store: any EngineStore { fixture.store }

    @Test(arguments: StoreKind.allCases) func issuedTokenResolvesToItsAccountUntilItExpires(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        let token = try store.issueToken(accountID: account.id, at: t0, lifetime: 3600)
        #expect(try store.accountID(forToken: token, at: t0) == account.id)
        #expect(try store.accountID(forToken: token, at: at(3599)) == account.id)
        #expect(try store.accountID(forToken: token, at: at(3600)) == nil)
        #expect(try store.accountID(forToken: token, at: at(86_400)) == nil)
    }

    @Test(arguments: StoreKind.allCases) func tokenWithNegativeLifetimeIsAlreadyExpired(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        let token = try store.issueToken(accountID: account.id, at: t0, lifetime: -1)
        #expect(try store.accountID(forToken: token, at: t0) == nil)
    }

    @Test(arguments: StoreKind.allCases) func unknownTokenResolvesToNothing(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        let token = try store.issueToken(accountID: account.id, at: t0, lifetime: 3600)
        #expect(try store.accountID(forToken: "not-a-token", at: t0) == nil)
        #expect(try store.accountID(forToken: String(token.dropLast()), at: t0) == nil)
        #expect(try store.accountID(forToken: "", at: t0) == nil)
    }

    @Test(arguments: StoreKind.allCases) func everyTokenIsNewAndEachResolves(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
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
    @Test(arguments: StoreKind.allCases) func tokenIsNotStoredInClear(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        let token = try store.issueToken(accountID: account.id, at: t0, lifetime: 3600)
        let values = try fixture.storedValues()
        #expect(values.contains(.blob(Digest.sha256(Data(token.utf8)))), "the token's hash is stored, so the scan saw it")
        for value in values {
            switch value {
            case .text(let text): #expect(!text.contains(token))
            case .blob(let data): #expect(data.range(of: Data(token.utf8)) == nil)
            }
        }
    }
}
