import TestSupport
import Testing
@testable import Interview

@Suite struct AnswerAnalyzerTests {
    func fillers(_ text: String) -> [String: Int] { AnswerAnalyzer.analyze(text).fillers }

    @Test func countsWords() {
        #expect(AnswerAnalyzer.analyze("I led the team, and we shipped it.").wordCount == 8)
        #expect(AnswerAnalyzer.analyze("   ").wordCount == 0)
        #expect(AnswerAnalyzer.analyze("It's 40% faster—really.").wordCount == 4)
    }

    @Test func soundsAreAlwaysFillers() {
        #expect(fillers("Um, I think, uh, we erm did it") == ["um": 1, "uh": 1, "erm": 1])
        #expect(fillers("It was basically done") == ["basically": 1])
    }

    @Test func likeAsAVerbOrPrepositionIsNotAFiller() {
        #expect(fillers("I like working with people who like feedback") == [:])
        #expect(fillers("It looks like a good plan") == [:])
        #expect(fillers("I would like to add something") == [:])
        #expect(fillers("Like I said, the plan worked") == [:])
    }

    @Test func likeSetOffAsAFillerCounts() {
        #expect(fillers("It was, like, a huge project") == ["like": 1])
        #expect(fillers("We had um like three weeks") == ["um": 1, "like": 1])
        #expect(fillers("The deadline was like, impossible") == ["like": 1])
    }

    @Test func soCountsOnlyWhenSetOff() {
        #expect(fillers("So, we started again") == ["so": 1])
        #expect(fillers("It was so slow that we rewrote it") == [:])
        #expect(fillers("I was tired so I went home") == [:])
    }

    @Test func youKnowAndIMeanCountWhenSetOff() {
        #expect(fillers("It was, you know, hard") == ["you know": 1])
        #expect(fillers("Do you know the answer") == [:])
        #expect(fillers("We shipped it, I mean, mostly") == ["i mean": 1])
        #expect(fillers("What I mean is that we shipped") == [:])
    }

    @Test func detectsNumbers() {
        #expect(AnswerAnalyzer.analyze("We cut costs by 40%").mentionsNumbers)
        #expect(AnswerAnalyzer.analyze("It took three weeks").mentionsNumbers)
        #expect(AnswerAnalyzer.analyze("Revenue doubled").mentionsNumbers)
        #expect(!AnswerAnalyzer.analyze("It went well and everyone was happy").mentionsNumbers)
    }

    @Test func findsStarParts() {
        let full = AnswerAnalyzer.analyze("""
            At my last job the team was late. My goal was to ship by Friday. I decided to cut scope and \
            I wrote the tests. As a result we shipped on time.
            """)
        #expect(full.starParts == [.situation, .task, .action, .result])
        #expect(AnswerAnalyzer.analyze("I decided to rewrite it").starParts == [.action])
        #expect(AnswerAnalyzer.analyze("It was fine").starParts.isEmpty)
    }

    @Test func countsIAgainstWe() {
        let analysis = AnswerAnalyzer.analyze("We planned it and we shipped it; our team was proud")
        #expect(analysis.firstPersonPlural == 3)
        #expect(analysis.firstPersonSingular == 0)
        #expect(analysis.weWithoutI)
        #expect(!AnswerAnalyzer.analyze("We planned it and I shipped it").weWithoutI)
    }

    @Test func paceNeedsAFairSample() {
        let words = Array(repeating: "word", count: 30).joined(separator: " ")
        #expect(AnswerAnalyzer.analyze(words, durationMs: 4_000).wordsPerMinute == nil)
        #expect(AnswerAnalyzer.analyze(words, durationMs: 12_000).wordsPerMinute == 150)
        #expect(PaceBands.pace(wordsPerMinute: 150) == .good)
        #expect(PaceBands.pace(wordsPerMinute: 109) == .slow)
        #expect(PaceBands.pace(wordsPerMinute: 110) == .good)
        #expect(PaceBands.pace(wordsPerMinute: 191) == .fast)
        #expect(PaceBands.pace(wordsPerMinute: nil) == .unknown)
    }

    @Test func fillersPer100Words() {
        let analysis = AnswerAnalyzer.analyze("um one two three four five six seven eight nine")
        #expect(analysis.fillerCount == 1)
        #expect(analysis.fillersPer100Words == 10)
    }
}

@Suite struct AnswerAnalyzerCoachingTests {
    @Test func countsHedges() {
        #expect(AnswerAnalyzer.analyze("Maybe it was sort of late, I guess").hedges == ["maybe": 1, "sort of": 1, "i guess": 1])
        #expect(AnswerAnalyzer.analyze("It was late").hedges.isEmpty)
    }

    @Test func findsNamedSpecifics() {
        #expect(AnswerAnalyzer.specifics(in: "We moved billing to Postgres and tracked it in jira. Then I left.") == ["postgres", "jira"])
        #expect(AnswerAnalyzer.specifics(in: "I think it went well.").isEmpty)
    }

    @Test func regularPastTenseAfterIIsAnAction() {
        #expect(AnswerAnalyzer.analyze("Then I migrated the database").starParts.contains(.action))
        #expect(!AnswerAnalyzer.analyze("I needed more time").starParts.contains(.action))
    }

    /// The byte-wise tokenizer for ASCII must split exactly as the `Character` one: every ASCII byte, with the
    /// letters, digits, marks and whitespace that the tokenizer treats apart drawn more often.
    @Test(arguments: 0..<20) func asciiTokensMatchCharacterTokens(seed: UInt64) {
        var random = SeededGenerator(state: seed)
        let common = Array("aZ9 .,'%$-\r\n\t".utf8)
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                Bool.random(using: &random) ? common.randomElement(using: &random)! : UInt8.random(in: 0...0x7F, using: &random)
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let fast = bytes.withUnsafeBufferPointer { AnswerAnalyzer.asciiTokens($0) }
            #expect(fast == AnswerAnalyzer.characterTokens(text), "\(bytes)")
        }
    }

    @Test func textBeyondASCIIIsTokenizedByCharacter() {
        var text = "I’m sure: 3.5× faster, Zoë."
        #expect(text.withUTF8 { AnswerAnalyzer.asciiTokens($0) } == nil, "not ASCII: the byte path declines it")
        #expect(AnswerAnalyzer.tokenize(text).map(\.word) == ["i'm", "sure", "3.5", "faster", "zoë"])
    }

    @Test func keywordOverlapComparesStems() {
        #expect(AnswerAnalyzer.keywordOverlap(question: "Tell me about a deadline you missed", answer: "We missed the deadline") == 1)
        #expect(AnswerAnalyzer.keywordOverlap(question: "Tell me about a deadline you missed", answer: "I like pasta") == 0)
    }
}
