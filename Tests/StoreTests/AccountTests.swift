import Foundation
import Testing
import Store

@Suite final class AccountTests {
    /// Set by each test for the store it runs against.
    var fixture: StoreFixture!
    var store: any EngineStore { fixture.store }

    @Test(arguments: StoreKind.allCases) func newAccountStartsWithItsTrialMinutes(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 600_000)
        #expect(account.balanceMs == 600_000)
        #expect(account.email == "ann@example.com")
        #expect(account.createdAt == t0)
        #expect(try store.balance(accountID: account.id) == 600_000)
        let ledger = try store.ledger(accountID: account.id)
        #expect(ledger.count == 1)
        #expect(ledger.first?.kind == .trial)
        #expect(ledger.first?.amountMs == 600_000)
        #expect(ledger.first?.createdAt == t0)
        #expect(try store.account(id: account.id) == account)
    }

    @Test(arguments: StoreKind.allCases) func noTrialMeansNoLedgerEntry(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 0)
        #expect(account.balanceMs == 0)
        #expect(try store.ledger(accountID: account.id).isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func duplicateEmailIsRefused(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let first = try fixture.createAccount(email: "ann@example.com")
        #expect(throws: StoreError.emailTaken) { try self.fixture.createAccount(email: "ann@example.com") }
        #expect(try store.credentials(email: "ann@example.com")?.account == first)
    }

    /// The API lower-cases emails with `SignupRules.validate` before it calls the store, so a second signup that
    /// differs only in case reaches the store as the same address.
    @Test(arguments: StoreKind.allCases) func duplicateEmailDifferingInCaseIsRefusedThroughSignupRules(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let today = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try SignupRules.validate(name: "Ann", email: "ann@example.com", password: "long enough password",
                                             birthDate: "1990-01-01", today: today)
        _ = try fixture.createAccount(email: first.email)
        let second = try SignupRules.validate(name: "Ann", email: " Ann@Example.COM ", password: "long enough password",
                                              birthDate: "1990-01-01", today: today)
        #expect(throws: StoreError.emailTaken) { try self.fixture.createAccount(email: second.email) }
    }

    @Test(arguments: StoreKind.allCases) func credentialsIgnoreCaseAndSurroundingSpaces(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(email: "ann@example.com")
        let found = try #require(try store.credentials(email: "  Ann@EXAMPLE.com "))
        #expect(found.account == account)
        #expect(found.passwordHash == "pbkdf2-sha256$1$c2FsdA==$aGFzaA==")
        #expect(try store.credentials(email: "bob@example.com") == nil)
    }

    @Test(arguments: StoreKind.allCases) func passwordHashCanBeReplaced(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        try store.updatePasswordHash(accountID: account.id, hash: "new-hash")
        #expect(try store.credentials(email: account.email)?.passwordHash == "new-hash")
    }

    @Test(arguments: StoreKind.allCases) func unknownAccountIsNil(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        #expect(try store.account(id: "nobody") == nil)
        #expect(throws: StoreError.accountNotFound("nobody")) { try self.store.balance(accountID: "nobody") }
    }
}
