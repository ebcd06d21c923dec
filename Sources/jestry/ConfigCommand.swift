import ArgumentParser
import Foundation

/// `jestry config check FILE`: whether a configuration file would be accepted by `jestry serve --config FILE`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check a configuration file for `jestry serve --config`.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration file: every problem as file:line:col: message, exit 0 when it is good.",
            discussion: """
            The file is YAML: one `key: value` a line, each the twin of a JESTRY_* environment variable (port ↔ \
            JESTRY_PORT) and of a `jestry serve` flag. Flags override the environment, which overrides the file. \
            Rate limits are {burst: N, per_seconds: S} or "N/S"; allowed_origins is a list. Secrets are never read \
            from the file. Keys: \(ConfigFile.settings.map(\.key).joined(separator: ", ")).
            """)

        @Argument(help: "The YAML file.")
        var file: String

        func run() throws {
            do {
                let loaded = try ConfigFile.load(path: file)
                Console.line("OK: \(file) sets \(loaded.values.count) of \(ConfigFile.settings.count) settings")
            } catch {
                Console.line("\(error)")
                throw ExitCode.failure
            }
        }
    }
}
