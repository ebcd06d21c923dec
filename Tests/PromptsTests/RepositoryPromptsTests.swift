import Foundation
import Testing
import Prompts

/// The Prompts/ folder shipped in the repository must always load.
@Suite struct RepositoryPromptsTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Prompts")

    @Test func repositoryPromptsLoad() throws {
        let library = try PromptLibrary.load(directory: Self.folder).get()
        #expect(!library.tracks.isEmpty)
        #expect(library.version.count == 12)
        for track in library.sortedTracks {
            let plan = try #require(library.plan(forTrack: track.id))
            #expect(plan.mainQuestionCount == track.questionIDs.count)
            for index in 0..<plan.mainQuestionCount {
                #expect(!plan.mainQuestion(at: index).text.isEmpty)
            }
        }
    }

    @Test func behaviouralTrackAsksItsQuestionsInOrder() throws {
        let library = try PromptLibrary.load(directory: Self.folder).get()
        let plan = try #require(library.plan(forTrack: "behavioural"))
        let first = plan.mainQuestion(at: 0)
        #expect(first.template.id == "behavioural.conflict")
        #expect(first.template.version == library.templates["behavioural.conflict"]?.version)
        #expect(first.topic == "conflict")
        #expect(first.kind == .main)
        #expect(plan.targetAnswerSeconds == 120)
    }
}
