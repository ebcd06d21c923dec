import Testing
@testable import Interview

/// The answer's text and its spoken word count, kept up to date as pieces arrive.
@Suite struct AnswerInProgressTests {
    @Test func piecesAreTrimmedAndJoinedAndOnlySpokenWordsCountForThePace() {
        var answer = AnswerInProgress(sampleRate: 16_000)
        #expect(answer.text.isEmpty && !answer.hasContent)
        answer.append(typed: "  We shipped early.\n")
        answer.replacePartial(with: " it took ")
        #expect(answer.text == "We shipped early. it took")
        #expect(answer.spokenWordCount == 2)
        answer.append(final: "It took six weeks\t")  // the final replaces its partial
        answer.replacePartial(with: "\u{00A0} ")  // a no-break space is whitespace too
        #expect(answer.text == "We shipped early. It took six weeks")
        #expect(answer.spokenWordCount == 4)
        answer.replacePartial(with: "and then")
        #expect(answer.text == "We shipped early. It took six weeks and then")
        #expect(answer.spokenWordCount == 6)
        #expect(answer.hasContent)
    }

    @Test func trimmingLeavesTheInsideAlone() {
        #expect("  a  b  ".trimmedOfWhitespace == "a  b")
        #expect(" \n\t ".trimmedOfWhitespace == "")
        #expect("«Postgres»,".trimmed(where: \.isPunctuation) == "Postgres")
        #expect("...".trimmed(where: \.isPunctuation) == "")
        #expect("x".trimmed(where: \.isPunctuation) == "x")
    }
}
