import ArgumentParser
import Bot
import Foundation
import Security
import Store

extension Bench {
    /// Accounts and tokens for `bench load`, written straight into the store: the HTTP sign-up is rate limited per
    /// address, and a load run needs thousands of candidates from one.
    struct LoadAccounts: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "load-accounts",
            abstract: "Write load-test accounts and their tokens into an engine's data folder before it starts.",
            shouldDisplay: false)

        @Option(help: "The engine's data folder (its --data); created when missing. Run this while the engine is stopped.")
        var data: String
        @Option(help: "Accounts to create.")
        var count: Int
        @Option(help: "Where to write their bearer tokens, one a line.")
        var tokensFile: String
        @Option(help: "Minutes of practice time each account gets.")
        var minutes: Double = 60

        func validate() throws {
            guard (1...100_000).contains(count) else { throw ValidationError("--count must be from 1 to 100000") }
            guard minutes > 0, minutes <= 100_000 else { throw ValidationError("--minutes must be more than 0 and at most 100000") }
        }

        func run() throws {
            let folder = URL(fileURLWithPath: data).standardizedFileURL
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let store = try SQLiteStore(path: folder.appendingPathComponent("jestry.sqlite").path)
            // One hash for all: they share a password, and PBKDF2 at full strength costs a third of a second.
            let hash = PasswordHasher().hash(LoadSignUp.password)
            let run = UUID().uuidString.prefix(8).lowercased()
            let now = Date()
            var tokens: [String] = []
            tokens.reserveCapacity(count)
            for index in 0..<count {
                let account = try store.createAccount(
                    NewAccount(name: "Load candidate \(index)", email: "load-\(run)-\(index)@example.com",
                               passwordHash: hash, birthDate: "1990-01-01"),
                    trialMs: Int64((minutes * 60_000).rounded()), at: now)
                // The engine's own token lifetimes (30 days, 7 idle).
                tokens.append(try store.issueToken(accountID: account.id, at: now, lifetime: 30 * 24 * 3600, idleTimeout: 7 * 24 * 3600))
            }
            try (tokens.joined(separator: "\n") + "\n").write(toFile: tokensFile, atomically: true, encoding: .utf8)
            Console.line("\(count) accounts (load-\(run)-N@example.com, password \"\(LoadSignUp.password)\") in \(folder.path); tokens in \(tokensFile)")
        }
    }
}
