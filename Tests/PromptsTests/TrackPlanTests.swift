import Testing
import Interview
import Prompts

/// Which main questions a session asks, in which order, and the closing words.
@Suite struct TrackPlanTests {
    static let ids = (1...6).map { "interview.q\($0)" }

    static func library(order: String = "in-order", perSession: Int? = nil, extra: [String: String] = [:]) throws -> PromptLibrary {
        var trackFile = track(id: "interview", questions: ids) + "order: \(order)\n"
        if let perSession { trackFile += "questions_per_session: \(perSession)\n" }
        var files: [String: String] = [BaseLibrary.trackFile: trackFile]
        for id in ids { files["questions/\(id).prompt"] = question(id: id, topic: id.replacingOccurrences(of: ".", with: "-")) }
        return try validLibrary(files.merging(extra) { _, new in new })
    }

    static func questionIDs(_ plan: TrackPlan) -> [String] {
        (0..<plan.mainQuestionCount).map { plan.mainQuestion(at: $0).template.id }
    }

    @Test func inOrderAsksTheListedOrder() throws {
        let plan = try #require(try Self.library().plan(forTrack: "interview", seed: 42))
        #expect(Self.questionIDs(plan) == Self.ids)
        #expect(plan.trackID == "interview")
        #expect(plan.trackTitle == "Track interview")
    }

    @Test func shuffledOrderFollowsTheSeed() throws {
        let library = try Self.library(order: "shuffled")
        let orders = try (0..<8).map { seed in try #require(library.plan(forTrack: "interview", seed: UInt64(seed))) }
            .map(Self.questionIDs)
        for order in orders { #expect(order.sorted() == Self.ids, "every question, each once") }
        #expect(Set(orders).count > 1, "different seeds give different orders")
        let again = try #require(library.plan(forTrack: "interview", seed: 3))
        #expect(Self.questionIDs(again) == orders[3])
    }

    @Test func questionsPerSessionLimitsTheSession() throws {
        let inOrder = try #require(try Self.library(perSession: 2).plan(forTrack: "interview"))
        #expect(Self.questionIDs(inOrder) == Array(Self.ids.prefix(2)))
        let shuffled = try #require(try Self.library(order: "shuffled", perSession: 3).plan(forTrack: "interview", seed: 9))
        #expect(shuffled.mainQuestionCount == 3)
        #expect(Set(Self.questionIDs(shuffled)).isSubset(of: Set(Self.ids)))
    }

    @Test func closingRemarksRenderTheSummary() throws {
        let closing = """
            ---
            id: interview.closing
            kind: closing
            priority: 5
            inputs:
              answers_given: {type: number, required: true}
              questions_asked: {type: number, required: true}
            ---
            You answered {{answers_given}} of {{questions_asked}} questions.

            """
        let low = "---\nid: generic.closing\nkind: closing\npriority: 1\n---\nBye.\n"
        let library = try Self.library(extra: ["closing.prompt": closing, "low.prompt": low])
        let plan = try #require(library.plan(forTrack: "interview"))
        let summary = SessionSummary(questionsAsked: 7, answersGiven: 6)
        #expect(plan.closingRemarks(for: summary) == "You answered 6 of 7 questions.")
    }

    @Test func noClosingTemplateMeansNoRemarks() throws {
        let plan = try #require(try Self.library().plan(forTrack: "interview"))
        #expect(plan.closingRemarks(for: SessionSummary()) == nil)
    }
}
