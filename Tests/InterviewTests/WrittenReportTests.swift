import Foundation
import Testing
@testable import Interview

/// The model's written report at the end: `session.ended` carries the rules' report at once and says a written one
/// is coming; `report.written` follows when the model's words come, or says there are none once the wait is over,
/// and only then does the connection close.
@Suite struct WrittenReportTests {
    static let interviewer = ModelInterviewer(modelName: "test-model", reportWaitMs: 8_000)
    static let written = WrittenReport(summary: "You gave clear numbers.", practise: ["One.", "Two.", "Three."], model: "test-model")

    /// A session with one answer, just ended by the candidate.
    struct Ended {
        var machine = InterviewStateMachine()
        var clock = TestClock()
        var actions: [InterviewAction] = []

        init(interviewer: ModelInterviewer? = WrittenReportTests.interviewer, answer: String = "I cut the build from 40 to 12 minutes.") {
            _ = machine.start(SessionStartRequest(trackID: "fake", mode: .text), requestID: nil, sessionID: "S", plan: FakePlan(),
                              balanceMs: 600_000, interviewer: interviewer, at: clock.reading)
            if !answer.isEmpty {
                _ = machine.answerTextReceived(answer, requestID: nil, at: clock.advance(5_000))
                _ = machine.answerDone(requestID: nil, at: clock.advance(1_000))
            }
            actions = machine.endSession(requestID: nil, at: clock.advance(1_000))
        }
    }

    static func reportsWritten(_ actions: [InterviewAction]) -> [WrittenReport?] {
        actions.sent.compactMap { if case .reportWritten(let written) = $0 { .some(written) } else { nil } }
    }

    @Test func sessionEndedGoesOutAtOnceWithTheRulesReportAndTheConnectionStaysOpen() throws {
        let session = Ended()
        let ended = try #require(session.actions.ended)
        #expect(ended.writtenReportPending == true)
        #expect(ended.report?.questions.count == 1)
        #expect(session.actions.closeCode == nil)
        #expect(session.machine.endReason == .clientEnded)
        #expect(session.machine.nextDeadlineMs == session.clock.reading.monotonicMs + 8_000)
        #expect(session.actions.contains { if case .requestReportWriting = $0 { true } else { false } })
    }

    @Test func theWrittenReportIsSentWhenItComesAndThenTheConnectionCloses() {
        var session = Ended()
        let actions = session.machine.reportWritingFinished(Self.written, at: session.clock.advance(3_000))
        #expect(Self.reportsWritten(actions) == [Self.written])
        #expect(actions.closeCode == 1000)
        #expect(actions.compactMap { if case .close(_, let reason) = $0 { reason } else { nil } } == ["client_ended"])
        #expect(session.machine.nextDeadlineMs == nil)
        // Only once.
        #expect(session.machine.reportWritingFinished(Self.written, at: session.clock.advance(10)).isEmpty)
    }

    @Test func aFailedReportSaysSoAtOnce() {
        var session = Ended()
        let actions = session.machine.reportWritingFinished(nil, at: session.clock.advance(500))
        #expect(Self.reportsWritten(actions) == [nil])
        #expect(actions.closeCode == 1000)
    }

    @Test func pastTheWaitTheClientIsToldThereIsNoneAndALateReportChangesNothing() {
        var session = Ended()
        #expect(session.machine.timerFired(at: session.clock.advance(7_999)).isEmpty)
        let actions = session.machine.timerFired(at: session.clock.advance(1))
        #expect(Self.reportsWritten(actions) == [nil])
        #expect(actions.closeCode == 1000)
        #expect(session.machine.reportWritingFinished(Self.written, at: session.clock.advance(100)).isEmpty)
    }

    @Test func withoutAModelOrWithNothingSaidTheConnectionClosesWithSessionEnded() {
        for session in [Ended(interviewer: nil), Ended(answer: "")] {
            #expect(session.actions.ended?.writtenReportPending == nil)
            #expect(session.actions.closeCode == 1000)
            #expect(session.machine.nextDeadlineMs == nil)
        }
    }

    @Test func aClientThatLeavesWhileWaitingEndsTheWait() {
        var session = Ended()
        #expect(session.machine.clientDisconnected(at: session.clock.advance(100), resumable: true).isEmpty)
        #expect(session.machine.nextDeadlineMs == nil)
        #expect(session.machine.reportWritingFinished(Self.written, at: session.clock.advance(100)).isEmpty)
    }

    @Test func theWireEventsCarryThePendingFlagAndTheWrittenReport() throws {
        let session = Ended()
        let ended = try #require(session.actions.sent.first { $0.type == "session.ended" })
        let endedJSON = try #require(try JSONSerialization.jsonObject(with: ended.encoded()) as? [String: Any])
        #expect(endedJSON["written_report_pending"] as? Bool == true)
        let written = try #require(try JSONSerialization.jsonObject(with: ServerMessage.reportWritten(Self.written).encoded()) as? [String: Any])
        #expect(written["type"] as? String == "report.written")
        #expect(written["available"] as? Bool == true)
        #expect(written["summary"] as? String == "You gave clear numbers.")
        #expect(written["practise"] as? [String] == ["One.", "Two.", "Three."])
        #expect(written["model"] as? String == "test-model")
        let none = try #require(try JSONSerialization.jsonObject(with: ServerMessage.reportWritten(nil).encoded()) as? [String: Any])
        #expect(none.keys.sorted() == ["available", "type"])
        #expect(none["available"] as? Bool == false)
        let plain = try #require(Ended(interviewer: nil).actions.sent.first { $0.type == "session.ended" })
        #expect((try JSONSerialization.jsonObject(with: plain.encoded()) as? [String: Any])?["written_report_pending"] == nil)
    }
}
