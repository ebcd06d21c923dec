import ArgumentParser
import Foundation
import Prompts

struct PromptsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompts", abstract: "Check, preview and test the prompt templates.",
        subcommands: [Check.self, Preview.self, RunExamples.self])

    /// Loads the library or prints every problem and fails.
    static func load(_ folder: URL) throws -> PromptLibrary {
        switch PromptLibrary.load(directory: folder) {
        case .success(let library):
            return library
        case .failure(let failure):
            Console.line("\(failure)")
            Console.line("\(failure.diagnostics.count) problem\(failure.diagnostics.count == 1 ? "" : "s") found")
            throw ExitCode.failure
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate every template, track and example; list every problem.")

        @Argument(help: "The prompts folder. [env: JESTRY_PROMPTS, default ./Prompts]")
        var directory: String?

        func run() throws {
            let folder = Environment.directory(directory, "JESTRY_PROMPTS", default: "Prompts")
            let library = try PromptsCommand.load(folder)
            if case .failure(let failure) = PromptExamples.load(directory: folder, library: library) {
                Console.line("\(failure)")
                throw ExitCode.failure
            }
            Console.line("OK: \(library.tracks.count) tracks, \(library.templates.count) templates (version \(library.version))")
        }
    }

    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which follow-up the interviewer picks after an answer, why, and its text.")

        @Argument(help: "The id of the main question the answer responds to.")
        var questionID: String
        @Option(help: "The candidate's answer.")
        var answer: String
        @Option(help: "The track (default: the first track that asks the question).")
        var track: String?
        @Option(help: "How many follow-ups were already asked about this question.")
        var followUpsAsked = 0
        @Option(name: .customLong("already-asked"), help: "A follow-up id asked earlier in the session (repeatable).")
        var alreadyAsked: [String] = []
        @Option(help: "The prompts folder. [env: JESTRY_PROMPTS, default ./Prompts]")
        var prompts: String?
        @Option(help: "An OpenAI-compatible model service: also show its wording beside the template's (key in JESTRY_MODEL_KEY). [env: JESTRY_MODEL_URL]")
        var modelURL: String?
        @Option(help: "The model to ask for. [env: JESTRY_MODEL_NAME, default \"default\"]")
        var modelName: String?

        func run() throws {
            let library = try PromptsCommand.load(Environment.directory(prompts, "JESTRY_PROMPTS", default: "Prompts"))
            do {
                Console.line(try FollowUpPreview.report(library: library, questionID: questionID, answer: answer,
                                                        trackID: track, followUpsAsked: followUpsAsked,
                                                        alreadyAsked: alreadyAsked))
            } catch {
                throw ValidationError(error.description)
            }
            guard let provider = try ModelOptions.provider(url: modelURL, name: modelName) else { return }
            guard let request = FollowUpPreview.wordingRequest(library: library, questionID: questionID, answer: answer,
                                                               trackID: track, followUpsAsked: followUpsAsked,
                                                               alreadyAsked: alreadyAsked) else {
                return Console.line("\nModel wording: none (no follow-up fires, or its template has no model: instructions).")
            }
            Console.line("\n" + ModelPreview.wording(for: request, provider: provider))
        }
    }

    struct RunExamples: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test", abstract: "Run the example tests (*.tests.yaml) kept beside the prompts.")

        @Argument(help: "The prompts folder. [env: JESTRY_PROMPTS, default ./Prompts]")
        var directory: String?
        @Option(help: "An OpenAI-compatible model service: also check the examples' model_output properties on its wording (key in JESTRY_MODEL_KEY). [env: JESTRY_MODEL_URL]")
        var modelURL: String?
        @Option(help: "The model to ask for. [env: JESTRY_MODEL_NAME, default \"default\"]")
        var modelName: String?

        func run() throws {
            let folder = Environment.directory(directory, "JESTRY_PROMPTS", default: "Prompts")
            let library = try PromptsCommand.load(folder)
            let provider = try ModelOptions.provider(url: modelURL, name: modelName)
            let examples: [PromptExample]
            switch PromptExamples.load(directory: folder, library: library) {
            case .success(let loaded): examples = loaded
            case .failure(let failure):
                Console.line("\(failure)")
                throw ExitCode.failure
            }
            let results: [PromptExampleResult]
            if let provider {
                let (wording, done) = ExampleWording.wording(provider: provider)
                results = PromptExamples.run(examples, library: library, model: wording, maxWords: provider.maxFollowUpWords)
                done()
            } else {
                results = PromptExamples.run(examples, library: library)
            }
            results.forEach { Console.line("\($0)") }
            let failed = results.filter { !$0.passed }.count
            let skipped = results.reduce(0) { $0 + $1.modelOutputSkipped }
            Console.line("\(results.count - failed) passed, \(failed) failed"
                         + (skipped > 0 ? "; model_output not checked in \(skipped) step\(skipped == 1 ? "" : "s") (no --model-url)" : ""))
            if failed > 0 { throw ExitCode.failure }
        }
    }
}
