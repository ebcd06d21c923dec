import Foundation
import Testing
@testable import Interview
import Store

/// A fresh SQLite store in its own temporary directory, removed when the fixture goes away.
///
/// Suites keep one as a stored property: Swift Testing makes a new suite instance for every test.
final class StoreFixture {
    let directory: URL
    let store: SQLiteStore

    var databasePath: String { directory.appendingPathComponent("jestry.sqlite").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("jestry.sqlite").path)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
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
