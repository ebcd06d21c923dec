import Foundation
import Testing
import Store

/// Idle and absolute expiry, logout and "log out everywhere" (OWASP session management).
@Suite final class TokenLifecycleTests {
    /// Set by each test for the store it runs against.
    var fixture: StoreFixture!
    var store: any EngineStore { fixture.store }

    @Test(arguments: StoreKind.allCases) func anUnusedTokenEndsAfterItsIdleTimeout(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        let token = try store.issueToken(accountID: account.id, at: t0, lifetime: 86_400, idleTimeout: 600)
        #expect(try store.accountID(forToken: token, at: at(599)) == account.id)
        #expect(try store.accountID(forToken: token, at: at(600)) == nil)
    }

    @Test(arguments: StoreKind.allCases) func useMovesTheIdleExpiryButNeverPastTheAbsoluteOne(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        let token = try store.issueToken(accountID: account.id, at: t0, lifetime: 1_000, idleTimeout: 600)
        try store.touchToken(token, at: at(500), idleTimeout: 600)
        #expect(try store.accountID(forToken: token, at: at(900)) == account.id, "used at 500: valid until 1100, capped at 1000")
        try store.touchToken(token, at: at(950), idleTimeout: 600)
        #expect(try store.accountID(forToken: token, at: at(999)) == account.id)
        #expect(try store.accountID(forToken: token, at: at(1_000)) == nil, "the absolute expiry holds whatever the use")
    }

    @Test(arguments: StoreKind.allCases) func touchingAnExpiredTokenDoesNotRevive(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        let token = try store.issueToken(accountID: account.id, at: t0, lifetime: 86_400, idleTimeout: 600)
        try store.touchToken(token, at: at(700), idleTimeout: 600)
        #expect(try store.accountID(forToken: token, at: at(701)) == nil)
    }

    @Test(arguments: StoreKind.allCases) func touchesWithinAMinuteAreNotWritten(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        let token = try store.issueToken(accountID: account.id, at: t0, lifetime: 86_400, idleTimeout: 3_600)
        try store.touchToken(token, at: at(30), idleTimeout: 3_600)  // under a minute after issue: skipped
        #expect(try store.accountID(forToken: token, at: at(3_610)) == nil)
        try store.touchToken(token, at: at(61), idleTimeout: 3_600)
        #expect(try store.accountID(forToken: token, at: at(3_650)) == account.id)
        #expect(try store.exportData(accountID: account.id)?.tokens.first?.lastUsedAt == at(61))
    }

    @Test(arguments: StoreKind.allCases) func logoutEndsOnlyThatToken(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        let phone = try store.issueToken(accountID: account.id, at: t0, lifetime: 3_600)
        let laptop = try store.issueToken(accountID: account.id, at: t0, lifetime: 3_600)
        #expect(try store.revokeToken(phone))
        #expect(try store.accountID(forToken: phone, at: t0) == nil)
        #expect(try store.accountID(forToken: laptop, at: t0) == account.id)
        #expect(try store.revokeToken(phone) == false, "already gone")
    }

    @Test(arguments: StoreKind.allCases) func logoutEverywhereEndsEveryTokenOfThatAccountOnly(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let ann = try fixture.createAccount(email: "ann@example.com")
        let bob = try fixture.createAccount(email: "bob@example.com")
        let annTokens = try (0..<3).map { _ in try store.issueToken(accountID: ann.id, at: t0, lifetime: 3_600) }
        let bobs = try store.issueToken(accountID: bob.id, at: t0, lifetime: 3_600)
        #expect(try store.revokeAllTokens(accountID: ann.id) == 3)
        for token in annTokens { #expect(try store.accountID(forToken: token, at: t0) == nil) }
        #expect(try store.accountID(forToken: bobs, at: t0) == bob.id)
    }

    @Test(arguments: StoreKind.allCases) func expiredTokensAreRemovedAtTheNextSignIn(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        _ = try store.issueToken(accountID: account.id, at: t0, lifetime: 100)
        _ = try store.issueToken(accountID: account.id, at: t0, lifetime: 3_600, idleTimeout: 50)
        let live = try store.issueToken(accountID: account.id, at: t0, lifetime: 3_600)
        _ = try store.issueToken(accountID: account.id, at: at(200), lifetime: 3_600)
        #expect(try store.exportData(accountID: account.id)?.tokens.count == 2)
        #expect(try store.accountID(forToken: live, at: at(200)) == account.id)
    }

    @Test(arguments: StoreKind.allCases) func aRecheckKeepsAndRefreshesOnlyTheSignInsStillValidForTheirAccount(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let ann = try fixture.createAccount(email: "ann@example.com")
        let bob = try fixture.createAccount(email: "bob@example.com")
        let kept = try store.issueToken(accountID: ann.id, at: t0, lifetime: 86_400, idleTimeout: 600)
        let loggedOut = try store.issueToken(accountID: ann.id, at: t0, lifetime: 86_400, idleTimeout: 600)
        try store.revokeToken(loggedOut)
        let idle = try store.issueToken(accountID: ann.id, at: at(-200), lifetime: 86_400, idleTimeout: 600)
        let bobs = try store.issueToken(accountID: bob.id, at: t0, lifetime: 86_400, idleTimeout: 600)
        let signIns = [SignIn(token: kept, accountID: ann.id), SignIn(token: loggedOut, accountID: ann.id),
                       SignIn(token: idle, accountID: ann.id), SignIn(token: bobs, accountID: ann.id),
                       SignIn(token: "not-a-token", accountID: ann.id), SignIn(token: bobs, accountID: bob.id)]
        #expect(try store.recheck(signIns, at: at(450), idleTimeout: 600) == [true, false, false, false, false, true])
        #expect(try store.accountID(forToken: kept, at: at(1_000)) == ann.id, "rechecked at 450: valid until 1050")
        #expect(try store.accountID(forToken: kept, at: at(1_050)) == nil)
        #expect(try store.accountID(forToken: idle, at: at(450)) == nil, "a recheck does not revive an idle token")
        #expect(try store.recheck([], at: at(450), idleTimeout: 600).isEmpty)
    }
}
