import Foundation
import Interview
import Testing
@testable import Model

@Suite struct AnswerGradingTests {
    static let answer = "At my last job I moved our payment service off Java 8. I planned it in three stages, and "
        + "as a result errors fell by 40%."
    static let criteria = ScoreCriterion.allCases

    static func reply(_ entries: [ScoreCriterion: (Int, String)]) -> String {
        let object = Dictionary(uniqueKeysWithValues: entries.map { ($0.key.rawValue, ["score": $0.value.0, "evidence": $0.value.1] as [String: Any]) })
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    static var whole: [ScoreCriterion: (Int, String)] {
        [.structure: (80, "I planned it in three stages"), .specificity: (90, "errors fell by 40%"),
         .relevance: (70, "moved our payment service off Java 8"), .concision: (60, ""), .delivery: (75, "")]
    }

    @Test func aWholeGroundedGradeIsRead() throws {
        let grade = try AnswerGrading.parse(Self.reply(Self.whole), answer: Self.answer, criteria: Self.criteria).get()
        #expect(grade.scores[.specificity] == 90)
        #expect(grade.evidence[.specificity] == "errors fell by 40%")
        #expect(grade.evidence[.concision] == "")
    }

    @Test func evidenceMustBeQuotedFromTheAnswer() {
        var entries = Self.whole
        entries[.structure] = (80, "the candidate used the STAR method")
        #expect(AnswerGrading.parse(Self.reply(entries), answer: Self.answer, criteria: Self.criteria)
                == .failure(.evidenceNotQuoted(.structure)))
        entries[.structure] = (80, "“I PLANNED it, in three stages…”")  // punctuation and case do not matter
        #expect((try? AnswerGrading.parse(Self.reply(entries), answer: Self.answer, criteria: Self.criteria).get()) != nil)
    }

    @Test func missingOutOfRangeAndNonJSONGradesAreRejected() {
        var entries = Self.whole
        entries[.delivery] = nil
        #expect(AnswerGrading.parse(Self.reply(entries), answer: Self.answer, criteria: Self.criteria) == .failure(.missing(.delivery)))
        entries = Self.whole
        entries[.relevance] = (140, "")
        #expect(AnswerGrading.parse(Self.reply(entries), answer: Self.answer, criteria: Self.criteria)
                == .failure(.outOfRange(.relevance, 140)))
        #expect(AnswerGrading.parse("Great answer, 9/10!", answer: Self.answer, criteria: Self.criteria) == .failure(.notJSON))
    }

    @Test func theRequestAsksForTheSchemaOfTheWeightedCriteria() throws {
        var rubric = Rubric.standard
        rubric.weights[.delivery] = 0
        let request = AnswerGrading.chatRequest(question: "Tell me about a migration.", answer: Self.answer, rubric: rubric,
                                                instructions: nil)
        let schema = try #require(request.jsonSchema)
        guard case .object(let top) = schema.schema, case .array(let required)? = top["required"] else {
            Issue.record("schema is not an object with required keys")
            return
        }
        #expect(required == [.string("structure"), .string("specificity"), .string("relevance"), .string("concision")])
        #expect(request.messages.last?.content.contains(Self.answer) == true)
        #expect(request.temperature == 0)
    }
}
