import Foundation
import Testing
@testable import Interview

/// `nextDeadline` names every time the timer has something to do: a driver that fires only then sees what a driver
/// ticking every 10 ms sees.
@Suite struct NextDeadlineTests {
    /// Events by type and question, in order (the exact millisecond a timer event lands on may differ by a tick).
    static func shape(_ actions: [InterviewAction]) -> [String] {
        actions.compactMap {
            switch $0 {
            case .send(let message):
                switch message {
                case .feedbackLive, .billingUpdated: nil  // their rate is the clock's, compared separately
                case .question(let question): "question \(question.questionID)"
                case .nudge(let questionID, let number, _): "nudge \(questionID) \(number)"
                case .answerTimeWarning(let questionID, _): "time_warning \(questionID)"
                case .turnEnded(let questionID, let reason): "turn_ended \(questionID) \(reason.rawValue)"
                case .sessionEnded(let ended): "session_ended \(ended.reason.rawValue)"
                default: message.type
                }
            case .record(.answerDraft(_, let questionID, let text, _, _, _)): "draft \(questionID) \(text)"
            case .close(let code, _): "close \(code)"
            default: nil
            }
        }
    }

    /// Runs the same inputs against two machines for `durationMs`: one ticked every 10 ms, one only at its deadline.
    static func compare(balanceMs: Int64 = 600_000, durationMs: Int64,
                        inputs: [Int64: (inout InterviewStateMachine, ClockReading) -> [InterviewAction]]) -> (ticked: [String], deadlines: [String], fires: Int) {
        let start = ClockReading(monotonicMs: 1_000_000, wall: Date(timeIntervalSince1970: 1_800_000_000))
        var ticked = InterviewStateMachine(openedAt: start)
        var sparse = InterviewStateMachine(openedAt: start)
        var tickedShape: [String] = []
        var sparseShape: [String] = []
        var fires = 0
        for machine in [0, 1] {
            var subject = machine == 0 ? ticked : sparse
            var shape: [String] = []
            var actions = subject.start(SessionStartRequest(trackID: "fake", mode: .voice), requestID: nil, sessionID: "S",
                                        plan: FakePlan(), balanceMs: balanceMs, at: start)
            shape += Self.shape(actions)
            for elapsed in stride(from: Int64(10), through: durationMs, by: 10) {
                let now = start.advanced(byMs: elapsed)
                if let input = inputs[elapsed] { shape += Self.shape(input(&subject, now)) }
                let due = machine == 0 || (subject.nextDeadlineMs.map { $0 <= now.monotonicMs } ?? false)
                if due {
                    actions = subject.timerFired(at: now)
                    shape += Self.shape(actions)
                    if machine == 1 { fires += 1 }
                }
            }
            if machine == 0 { ticked = subject; tickedShape = shape } else { sparse = subject; sparseShape = shape }
        }
        return (tickedShape, sparseShape, fires)
    }

    @Test func nudgesTheIdleEndAndTheTimeLimitComeOnTime() {
        let result = Self.compare(durationMs: 200_000, inputs: [
            // q1: silence, two nudges, then the candidate answers and goes quiet until the time limit.
            45_000: { machine, now in machine.answerTextReceived("I led the migration", requestID: nil, at: now) },
            // q2 (the follow-up for an answer without numbers) is never answered: nudges, then the idle end.
        ])
        #expect(result.deadlines == result.ticked)
        #expect(result.ticked.contains("nudge q1 2"))
        #expect(result.ticked.contains("time_warning q1"))
        #expect(result.ticked.contains("turn_ended q1 time_limit"))
        #expect(result.ticked.contains("session_ended idle"))
        #expect(result.fires < 20_000 / 10, "far fewer timer calls than a 10 ms tick")
    }

    @Test func theBalanceRunningOutEndsTheSessionOnTime() {
        let result = Self.compare(balanceMs: 12_345, durationMs: 20_000, inputs: [
            1_000: { machine, now in machine.answerTextReceived("talking", requestID: nil, at: now) },
        ])
        #expect(result.deadlines == result.ticked)
        #expect(result.ticked.last == "close 1000")
        #expect(result.ticked.contains("session_ended balance_exhausted"))
    }

    @Test func theStartTimeoutAndDraftsComeOnTime() {
        let start = ClockReading(monotonicMs: 0, wall: Date(timeIntervalSince1970: 1_800_000_000))
        var waiting = InterviewStateMachine(openedAt: start)
        #expect(waiting.nextDeadlineMs == InterviewStateMachine.Settings().sessionStartTimeoutMs)
        var unwatched = InterviewStateMachine()
        #expect(unwatched.nextDeadlineMs == nil, "no open time, no timeout")
        #expect(waiting.timerFired(at: start.advanced(byMs: waiting.nextDeadlineMs!)).closeCode == 1008)
        #expect(waiting.nextDeadlineMs == nil)
        #expect(unwatched.timerFired(at: start.advanced(byMs: 60_000)).isEmpty)
        let drafts = Self.compare(durationMs: 6_000, inputs: [
            500: { machine, now in machine.answerTextReceived("first", requestID: nil, at: now) },
            1_200: { machine, now in machine.answerTextReceived("second", requestID: nil, at: now) },
        ])
        #expect(drafts.deadlines == drafts.ticked)
        #expect(drafts.ticked.filter { $0.hasPrefix("draft") } == ["draft q1 first", "draft q1 first second"])
    }
}
