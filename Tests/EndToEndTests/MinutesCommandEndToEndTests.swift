import Foundation
import Store
import Testing

/// `jestry minutes grant|refund|history`: operator entries in the ledger, each with a reason.
@Suite struct MinutesCommandEndToEndTests {
    func jestry(_ arguments: [String]) throws -> CommandLineEndToEndTests.Output {
        try CommandLineEndToEndTests.run(arguments)
    }

    @Test func grantRefundAndHistory() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-minutes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: data) }
        let store = try SQLiteStore(path: data.appendingPathComponent("jestry.sqlite").path)
        let account = try store.createAccount(NewAccount(name: "Ada", email: "ada@example.com", passwordHash: "x",
                                                         birthDate: "1990-01-01"), trialMs: 60_000, at: Date())
        let target = ["--email", "ada@example.com", "--data", data.path]

        let grant = try jestry(["minutes", "grant", "--minutes", "30", "--reason", "conference voucher"] + target)
        #expect(grant.status == 0, "\(grant.stderr)")
        #expect(grant.stdout.contains("balance now 31.00 minutes"))

        let refund = try jestry(["minutes", "refund", "--minutes", "10.5", "--reason", "double charge"] + target)
        #expect(refund.status == 0, "\(refund.stderr)")
        #expect(refund.stdout.contains("balance now 20.50 minutes"))

        // Refused, with nothing changed: below zero, no reason, negative, huge, not a number.
        let tooMuch = try jestry(["minutes", "refund", "--minutes", "21", "--reason", "oops"] + target)
        #expect(tooMuch.status != 0 && tooMuch.stderr.contains("cannot take it below zero"))
        #expect(try jestry(["minutes", "refund", "--minutes", "1"] + target).status != 0, "a refund needs a reason")
        #expect(try jestry(["minutes", "grant", "--minutes", "-5"] + target).status != 0)
        #expect(try jestry(["minutes", "grant", "--minutes", "1e12"] + target).status != 0)
        #expect(try jestry(["minutes", "grant", "--minutes", "nan"] + target).status != 0)
        #expect(try jestry(["minutes", "grant", "--minutes", "5", "--reason", "  "] + target).status != 0)
        let sql = try jestry(["minutes", "grant", "--minutes", "1", "--email", "' OR 1=1 --", "--data", data.path])
        #expect(sql.status != 0 && sql.stderr.contains("no account with email"))
        #expect(try store.balance(accountID: account.id) == 1_230_000)

        let history = try jestry(["minutes", "history"] + target)
        #expect(history.status == 0)
        #expect(history.stdout.contains("conference voucher") && history.stdout.contains("double charge"))
        #expect(history.stdout.contains("3 entries; balance 20.50 minutes"))
        let json = try jestry(["minutes", "history", "--json"] + target)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["kind"] as? String } == ["trial", "grant", "refund"])
        #expect(entries.map { $0["amount_ms"] as? Int } == [60_000, 1_800_000, -630_000])
        #expect(entries.allSatisfy { ($0["entry_id"] as? String)?.count == 32 })
    }
}
