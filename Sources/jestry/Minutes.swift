import ArgumentParser
import Foundation
import PostgresStore
import Store

struct Minutes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Operator commands for the minute ledger: each change is a ledger entry with a reason.",
        subcommands: [Grant.self, Refund.self, History.self])

    /// The options every minutes command shares.
    struct Target: ParsableArguments {
        @Option(help: "The account's email.")
        var email: String
        @Option(help: "Folder of the SQLite database. [env: JESTRY_DATA, default ./data]")
        var data: String?
        @OptionGroup var database: DatabaseOptions

        func open() throws -> (any EngineStore, Account) {
            let store: any EngineStore
            if let url = try database.url() {
                // Operator commands start no sessions, so the node name is only a label.
                store = try PostgresStore(url: url, nodeID: try database.node())
            } else {
                let folder = Environment.directory(data, "JESTRY_DATA", default: "data")
                let path = folder.appendingPathComponent("jestry.sqlite").path
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ValidationError("no database at \(path); pass --data with the server's data folder")
                }
                store = try SQLiteStore(path: path)
            }
            guard let (account, _) = try store.credentials(email: email) else {
                throw ValidationError("no account with email \(email)")
            }
            return (store, account)
        }
    }

    static func milliseconds(_ minutes: Double) throws -> Int64 {
        guard minutes.isFinite, minutes > 0, minutes <= 100_000 else {
            throw ValidationError("--minutes must be more than 0 and at most 100000")
        }
        let ms = Int64((minutes * 60_000).rounded())
        guard ms > 0 else { throw ValidationError("--minutes is less than a millisecond") }
        return ms
    }

    static func validReason(_ reason: String) throws -> String {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 500 else { throw ValidationError("--reason must have 1 to 500 characters") }
        return trimmed
    }

    static func formatMinutes(_ ms: Int64) -> String { String(format: "%.2f", Double(ms) / 60_000) }

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add minutes to an account (a ledger entry with a reason).")

        @OptionGroup var target: Target
        @Option(help: "Minutes to add; fractions allowed.")
        var minutes: Double
        @Option(help: "Why, for the ledger.")
        var reason: String = "granted by an operator"

        func run() throws {
            let ms = try Minutes.milliseconds(minutes)
            let reason = try Minutes.validReason(reason)
            let (store, account) = try target.open()
            defer { try? store.close() }
            let balance = try store.addEntry(accountID: account.id, kind: .grant, amountMs: ms, reason: reason, at: Date())
            print("Granted \(minutes) minutes to \(account.email); balance now \(Minutes.formatMinutes(balance)) minutes")
        }
    }

    struct Refund: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take minutes back from an account (a refund entry with a reason); never below zero.",
            discussion: "Refunds paid through the payment processor arrive by its webhook; this is for the rest.")

        @OptionGroup var target: Target
        @Option(help: "Minutes to take back; fractions allowed.")
        var minutes: Double
        @Option(help: "Why, for the ledger (required).")
        var reason: String

        func run() throws {
            let ms = try Minutes.milliseconds(minutes)
            let reason = try Minutes.validReason(reason)
            let (store, account) = try target.open()
            defer { try? store.close() }
            do {
                let balance = try store.addEntry(accountID: account.id, kind: .refund, amountMs: -ms, reason: reason, at: Date())
                print("Refunded \(minutes) minutes from \(account.email); balance now \(Minutes.formatMinutes(balance)) minutes")
            } catch StoreError.invalidAmount {
                let balance = try store.balance(accountID: account.id)
                throw ValidationError("the balance of \(account.email) is \(Minutes.formatMinutes(balance)) minutes; "
                                      + "a refund cannot take it below zero. Nothing was changed.")
            }
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an account's ledger, oldest first.")

        @OptionGroup var target: Target
        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            let (store, account) = try target.open()
            defer { try? store.close() }
            let entries = try store.ledger(accountID: account.id)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(entries), as: UTF8.self))
                return
            }
            let formatter = ISO8601DateFormatter()
            var running: Int64 = 0
            print("when                  kind        minutes    balance  reason")
            for entry in entries {
                running += entry.amountMs
                let amount = (entry.amountMs >= 0 ? "+" : "") + Minutes.formatMinutes(entry.amountMs)
                let line = [formatter.string(from: entry.createdAt), entry.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0),
                            amount.leftPadded(9), Minutes.formatMinutes(running).leftPadded(9), entry.reason]
                print(line.joined(separator: "  "))
            }
            print("\(entries.count) entries; balance \(Minutes.formatMinutes(try store.balance(accountID: account.id))) minutes")
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
