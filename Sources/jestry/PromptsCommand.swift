import ArgumentParser
import Foundation
import Prompts

struct PromptsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompts", abstract: "Work with the prompt templates.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate every template and track; list every problem.")

        @Argument(help: "The prompts folder. [env: JESTRY_PROMPTS, default ./Prompts]")
        var directory: String?

        func run() throws {
            let folder = Environment.directory(directory, "JESTRY_PROMPTS", default: "Prompts")
            switch PromptLibrary.load(directory: folder) {
            case .success(let library):
                print("OK: \(library.tracks.count) tracks, \(library.templates.count) templates (version \(library.version))")
            case .failure(let failure):
                print(failure)
                print("\(failure.diagnostics.count) problem\(failure.diagnostics.count == 1 ? "" : "s") found")
                throw ExitCode.failure
            }
        }
    }
}
