import Foundation
import Prompts
import Testing

/// The example tests that prompt authors keep beside the prompts (`*.tests.yaml`) run with every `swift test`.
@Suite struct RepositoryExamplesTests {
    static let prompts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Prompts")

    @Test func everyTrackHasExamplesAndTheyAllPass() throws {
        let library = try PromptLibrary.load(directory: Self.prompts).get()
        let examples = try PromptExamples.load(directory: Self.prompts, library: library).get()
        for track in library.tracks.keys {
            #expect(examples.contains { $0.trackID == track }, "track \(track) has no example tests")
        }
        for result in PromptExamples.run(examples, library: library) where !result.passed {
            Issue.record("\(result)")
        }
    }
}
