import Foundation
import Testing
@testable import Interview

/// The server drains before a restart: the machine sends away connections without a session and ends live interviews
/// with `server_restarting` at the drain's deadline, on the test clock.
@Suite struct ServerDrainTests {
    static func live(_ clock: inout TestClock, balanceMs: Int64 = 600_000) -> InterviewStateMachine {
        var machine = InterviewStateMachine(openedAt: clock.reading)
        _ = machine.start(SessionStartRequest(trackID: "fake", mode: .text), requestID: nil, sessionID: "S",
                          plan: FakePlan(), balanceMs: balanceMs, at: clock.reading)
        return machine
    }

    @Test func aConnectionWithoutASessionIsToldToGoElsewhereAndClosed() {
        let clock = TestClock()
        var machine = InterviewStateMachine(openedAt: clock.reading)
        let actions = machine.serverDraining(until: clock.reading.monotonicMs + 60_000, at: clock.reading)
        #expect(actions.errors.map(\.code) == [.serverDraining])
        #expect(actions.errors.first?.fatal == true)
        #expect(actions.closeCode == 1001)
        #expect(machine.isFinished)
        // A session.start that was already on its way finds nothing to start.
        let late = machine.textFrameReceived(Data(#"{"type":"session.start","track":"fake"}"#.utf8), at: clock.reading)
        #expect(late.records.isEmpty)
        #expect(!machine.isLive)
    }

    @Test func aLiveInterviewGoesOnUntilTheDeadlineThenEndsAsServerRestarting() {
        var clock = TestClock()
        var machine = Self.live(&clock)
        let deadline = clock.reading.monotonicMs + 30_000
        #expect(machine.serverDraining(until: deadline, at: clock.reading).isEmpty, "nothing changes for the candidate yet")
        #expect(machine.nextDeadlineMs.map { $0 <= deadline } == true, "the machine asks for a timer by the deadline")

        // Still an interview: answers are taken and scored.
        _ = machine.answerTextReceived("I led the migration and cut costs by 30 percent.", requestID: nil, at: clock.advance(5_000))
        let turn = machine.answerDone(requestID: nil, at: clock.advance(1_000))
        #expect(turn.questions.count == 1)
        #expect(machine.isLive)

        _ = machine.answerTextReceived("Halfway through", requestID: nil, at: clock.advance(1_000))
        _ = machine.timerFired(at: clock.advance(22_999 - 1_000))  // 1 ms before the deadline
        #expect(machine.isLive)
        let clockAtDeadline = clock.advance(deadline - clock.reading.monotonicMs)
        let ended = machine.timerFired(at: clockAtDeadline)
        #expect(ended.ended?.reason == .serverRestarting)
        #expect(ended.closeCode == 1000)
        #expect(ended.settledUsage > 0, "the last partial second is charged")
        #expect(ended.records.contains { if case .sessionEnded(_, .serverRestarting, _, _, _) = $0 { true } else { false } })
        // What the candidate was saying is kept, as an unfinished answer.
        #expect(ended.records.contains {
            if case .answerGiven(_, _, "Halfway through", _, _, _, _, false, _) = $0 { true } else { false }
        })
        #expect(machine.endReason == .serverRestarting)
        #expect(machine.nextDeadlineMs == nil)
    }

    @Test func anInterviewThatEndsOnItsOwnFirstKeepsItsReason() {
        var clock = TestClock()
        var machine = Self.live(&clock)
        _ = machine.serverDraining(until: clock.reading.monotonicMs + 30_000, at: clock.reading)
        let ended = machine.endSession(requestID: nil, at: clock.advance(2_000))
        #expect(ended.ended?.reason == .clientEnded)
        #expect(machine.timerFired(at: clock.advance(60_000)).isEmpty)
    }

    @Test func aDeadlineAlreadyPastEndsTheInterviewAtOnce() {
        var clock = TestClock()
        var machine = Self.live(&clock)
        let ended = machine.serverDraining(until: clock.reading.monotonicMs, at: clock.advance(10))
        #expect(ended.ended?.reason == .serverRestarting)
    }

    @Test func aSecondDrainNeverMovesTheDeadlineLater() {
        var clock = TestClock()
        var machine = Self.live(&clock)
        let first = clock.reading.monotonicMs + 10_000
        _ = machine.serverDraining(until: first, at: clock.reading)
        _ = machine.serverDraining(until: first + 50_000, at: clock.reading)
        #expect(machine.timerFired(at: clock.advance(10_000)).ended?.reason == .serverRestarting)
    }

    @Test func aSessionWaitingForResumeKeepsTheDeadlineForWhenItComesBack() {
        var clock = TestClock()
        var machine = Self.live(&clock)
        _ = machine.clientDisconnected(at: clock.advance(1_000), resumable: true)
        let deadline = clock.reading.monotonicMs + 5_000
        #expect(machine.serverDraining(until: deadline, at: clock.reading).isEmpty)
        #expect(machine.nextDeadlineMs == nil, "a parked session has no timers")
        _ = machine.clientResumed(requestID: nil, resumeToken: nil, at: clock.advance(1_000))
        #expect(machine.nextDeadlineMs.map { $0 <= deadline } == true)
        #expect(machine.timerFired(at: clock.advance(4_000)).ended?.reason == .serverRestarting)
    }

    @Test func theReasonIsOnTheWire() throws {
        let ended = SessionEnded(reason: .serverRestarting, summary: SessionSummary())
        let json = try #require(JSONSerialization.jsonObject(with: ServerMessage.sessionEnded(ended).encoded()) as? [String: Any])
        #expect(json["reason"] as? String == "server_restarting")
    }
}
