import ArgumentParser
import Foundation
import Store

struct Minutes: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Operator commands for the minute ledger.",
                                                    subcommands: [Grant.self])

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add minutes to an account (a ledger entry with a reason).")

        @Option(help: "The account's email.")
        var email: String
        @Option(help: "Minutes to add; fractions allowed.")
        var minutes: Double
        @Option(help: "Why, for the ledger.")
        var reason: String = "granted by an operator"
        @Option(help: "Folder of the SQLite database. [env: JESTRY_DATA, default ./data]")
        var data: String?

        func run() throws {
            guard minutes > 0, minutes <= 100_000 else { throw ValidationError("--minutes must be more than 0 and at most 100000") }
            let folder = Environment.directory(data, "JESTRY_DATA", default: "data")
            let store = try SQLiteStore(path: folder.appendingPathComponent("jestry.sqlite").path)
            guard let (account, _) = try store.credentials(email: email) else {
                throw ValidationError("no account with email \(email)")
            }
            let balance = try store.addEntry(accountID: account.id, kind: .grant, amountMs: Int64((minutes * 60_000).rounded()),
                                             reason: reason, at: Date())
            print("Granted \(minutes) minutes to \(account.email); balance now \(String(format: "%.2f", Double(balance) / 60_000)) minutes")
        }
    }
}
