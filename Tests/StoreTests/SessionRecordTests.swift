import Foundation
import Testing
import Interview
import Store

/// Session records written by the driver, read back by their owner only.
@Suite final class SessionRecordTests {
    /// Set by each test for the store it runs against.
    var fixture: StoreFixture!
    var store: any EngineStore { fixture.store }

    static let analysis = AnswerAnalysis(wordCount: 87, fillers: ["um": 2, "you know": 1], mentionsNumbers: true,
                                         starParts: [.situation, .action, .result], firstPersonSingular: 6,
                                         firstPersonPlural: 1, durationMs: 41_500)
    static let summary = SessionSummary(questionsAsked: 2, answersGiven: 2, followUpsAsked: 1, totalWords: 99,
                                        averageWordsPerMinute: 131, fillerCount: 3, usedMs: 95_000,
                                        text: "Clear answers; add numbers.")
    static let followUpTemplate = TemplateRef(id: "follow-up.no-numbers", version: "ba7816bf8f01")

    static let score = AnswerScorer.score(
        ScoringInput(questionID: "q1", questionText: "Tell me about a release that slipped.",
                     answerText: "When our release slipped, I re-planned and shipped.", analysis: analysis, targetSeconds: 120),
        rubric: .standard, rubricRef: TemplateRef(id: "rubric.test", version: "abcdef123456"))

    @Test(arguments: StoreKind.allCases) func scoresAndTheReportRoundTrip(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        try recordInterview("s-scored", accountID: account.id)
        let detail = try #require(try store.session(id: "s-scored", accountID: account.id))
        #expect(detail.turns.first?.score == Self.score)
        #expect(detail.turns.last?.score == nil)
        #expect(detail.report?.questions.map(\.questionID) == ["q1"])
        #expect(detail.report?.overall == Self.score.overall)
        #expect(try store.sessions(accountID: account.id).first?.score == Self.score.overall)
    }

    /// A whole interview: a main question and a follow-up, both answered, then the end.
    func recordInterview(_ sessionID: String, accountID: String) throws {
        let records: [SessionRecord] = [
            .sessionStarted(sessionID: sessionID, trackID: "behavioural", mode: .voice, sampleRate: 16_000, at: t0),
            .questionAsked(sessionID: sessionID, question: askedQuestion(1), at: at(1)),
            .answerGiven(sessionID: sessionID, questionID: "q1", text: "When our release slipped, I <re-planned> & shipped.",
                         analysis: Self.analysis, audioMs: 41_500, startedAt: at(2), endedAt: at(44), complete: true,
                         score: Self.score),
            .questionAsked(sessionID: sessionID, question: askedQuestion(2, kind: .followUp, text: "Any numbers?",
                                                                           template: Self.followUpTemplate), at: at(45)),
            .answerGiven(sessionID: sessionID, questionID: "q2", text: "Twelve.", analysis: AnswerAnalysis(wordCount: 1),
                         audioMs: 900, startedAt: at(46), endedAt: at(47), complete: false, score: nil),
            .sessionEnded(sessionID: sessionID, reason: .completed, summary: Self.summary,
                          report: SessionReport.from([Self.score], kinds: ["q1": .main], rubric: .standard), at: at(95)),
        ]
        for record in records { try store.apply(record, accountID: accountID) }
    }

    @Test(arguments: StoreKind.allCases) func sessionRoundTrips(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        try recordInterview("s1", accountID: account.id)
        let detail = try #require(try store.session(id: "s1", accountID: account.id))

        #expect(detail.session.id == "s1")
        #expect(detail.session.trackID == "behavioural")
        #expect(detail.session.mode == "voice")
        #expect(detail.session.startedAt == t0)
        #expect(detail.session.endedAt == at(95))
        #expect(detail.session.endReason == "completed")
        #expect(detail.session.questionsAsked == 2)
        #expect(detail.summary == Self.summary)

        try #require(detail.turns.count == 2)
        let main = detail.turns[0]
        #expect(main.questionID == "q1")
        #expect(main.number == 1)
        #expect(main.kind == "main")
        #expect(main.text == "Tell me about a time.")
        #expect(main.templateID == "behavioural.conflict")
        #expect(main.templateVersion == "0123456789ab")
        #expect(main.askedAt == at(1))
        #expect(main.answerText == "When our release slipped, I <re-planned> & shipped.")
        #expect(main.answerStartedAt == at(2))
        #expect(main.answerEndedAt == at(44))
        #expect(main.answerComplete == true)
        #expect(main.audioMs == 41_500)
        #expect(main.analysis == Self.analysis)

        let followUp = detail.turns[1]
        #expect(followUp.kind == "follow_up")
        #expect(followUp.templateID == Self.followUpTemplate.id)
        #expect(followUp.templateVersion == Self.followUpTemplate.version)
        #expect(followUp.answerText == "Twelve.")
        #expect(followUp.answerComplete == false)
    }

    @Test(arguments: StoreKind.allCases) func unansweredQuestionHasNoAnswer(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        try fixture.startSession("s1", accountID: account.id)
        try store.apply(.questionAsked(sessionID: "s1", question: askedQuestion(1), at: at(1)), accountID: account.id)
        let turn = try #require(try store.session(id: "s1", accountID: account.id)?.turns.first)
        #expect(turn.answerText == nil)
        #expect(turn.analysis == nil)
        #expect(turn.answerComplete == nil)
        #expect(try store.session(id: "s1", accountID: account.id)?.summary == nil)
    }

    @Test(arguments: StoreKind.allCases) func anotherAccountCannotSeeTheSession(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let ann = try fixture.createAccount(email: "ann@example.com")
        let bob = try fixture.createAccount(email: "bob@example.com")
        try recordInterview("s1", accountID: ann.id)
        #expect(try store.session(id: "s1", accountID: bob.id) == nil)
        #expect(try store.sessions(accountID: bob.id).isEmpty)
        #expect(try store.sessions(accountID: ann.id).map(\.id) == ["s1"])
    }

    @Test(arguments: StoreKind.allCases) func sessionsAreListedNewestFirst(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        try fixture.startSession("old", accountID: account.id, at: t0)
        try fixture.startSession("new", accountID: account.id, at: at(3600))
        try fixture.startSession("middle", accountID: account.id, at: at(60))
        #expect(try store.sessions(accountID: account.id).map(\.id) == ["new", "middle", "old"])
    }

    @Test(arguments: StoreKind.allCases) func closingAbandonedSessionsEndsOnlyOpenOnes(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        try recordInterview("done", accountID: account.id)
        try fixture.startSession("open1", accountID: account.id, at: at(100))
        try fixture.startSession("open2", accountID: account.id, at: at(200))

        #expect(try store.closeAbandonedSessions(at: at(500)) == 2)

        let sessions = Dictionary(uniqueKeysWithValues: try store.sessions(accountID: account.id).map { ($0.id, $0) })
        for id in ["open1", "open2"] {
            #expect(sessions[id]?.endReason == "error")
            #expect(sessions[id]?.endedAt == at(500))
        }
        #expect(sessions["done"]?.endReason == "completed")
        #expect(sessions["done"]?.endedAt == at(95))
        #expect(try store.session(id: "done", accountID: account.id)?.summary == Self.summary)
        #expect(try store.closeAbandonedSessions(at: at(600)) == 0)
    }

    /// The store writer hands over many records at once: each that fails is rolled back alone and reported with its
    /// place, and the others stay, in order.
    @Test(arguments: StoreKind.allCases) func aBatchKeepsEveryRecordButTheOnesThatFail(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        let batch: [AccountRecord] = [
            .init(.sessionStarted(sessionID: "s1", trackID: "behavioural", mode: .voice, sampleRate: 16_000, at: t0),
                  accountID: account.id),
            // No such session: the turn's foreign key refuses it.
            .init(.questionAsked(sessionID: "ghost", question: askedQuestion(1), at: at(1)), accountID: account.id),
            // The same session again: its primary key refuses it.
            .init(.sessionStarted(sessionID: "s1", trackID: "technical", mode: .text, sampleRate: 16_000, at: at(1)),
                  accountID: account.id),
            .init(.questionAsked(sessionID: "s1", question: askedQuestion(1), at: at(2)), accountID: account.id),
            .init(.answerGiven(sessionID: "s1", questionID: "q1", text: "Twelve.", analysis: AnswerAnalysis(wordCount: 1),
                               audioMs: 900, startedAt: at(3), endedAt: at(4), complete: true, score: nil),
                  accountID: account.id),
            .init(.sessionEnded(sessionID: "s1", reason: .completed, summary: Self.summary, report: nil, at: at(5)),
                  accountID: account.id),
        ]
        let failures = try store.apply(batch)
        #expect(failures.map(\.index) == [1, 2])

        let detail = try #require(try store.session(id: "s1", accountID: account.id))
        #expect(detail.session.trackID == "behavioural")
        #expect(detail.session.endReason == "completed")
        #expect(detail.turns.map(\.questionID) == ["q1"])
        #expect(detail.turns.first?.answerText == "Twelve.")
        #expect(try fixture.rows("SELECT session_id FROM turns") == [["session_id": "s1"]])
        #expect(try store.apply([]).isEmpty)
    }
}
