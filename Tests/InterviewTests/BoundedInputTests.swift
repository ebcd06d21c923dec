import Foundation
import Testing
@testable import Interview

/// What one client can make the machine hold or do: the answer's size, the analysis per message, the open answer
/// persisted as it grows, and the time a connection may wait before starting.
@Suite struct BoundedInputTests {
    var clock = TestClock()
    var machine: InterviewStateMachine

    init() {
        machine = InterviewStateMachine(openedAt: clock.reading)
    }

    mutating func start() {
        _ = machine.start(SessionStartRequest(trackID: "fake"), requestID: nil, sessionID: "S", plan: FakePlan(),
                          balanceMs: 600_000, at: clock.reading)
    }

    @Test mutating func anAnswerStopsGrowingAtItsLimit() {
        start()
        let limit = InterviewStateMachine.Settings().maxAnswerBytes
        let chunk = String(repeating: "a", count: 1_000)
        var refusals: [ProtocolError] = []
        for index in 0..<40 {
            refusals += machine.answerTextReceived(chunk, requestID: "m\(index)", at: clock.advance(10)).errors
        }
        #expect(refusals.map(\.code) == Array(repeating: .answerTooLong, count: 40 - limit / 1_000))
        #expect(refusals.first?.requestID == "m\(limit / 1_000)")
        // The answer kept what fitted, and is scored as such.
        let done = machine.answerDone(requestID: nil, at: clock.advance(10))
        let given = done.records.compactMap { if case .answerGiven(_, _, let text, _, _, _, _, _, _) = $0 { text } else { nil } }
        #expect(given.first?.utf8.count == (limit / 1_000) * 1_000 + (limit / 1_000 - 1))  // pieces joined by spaces
    }

    @Test mutating func aPartialTranscriptIsBoundedByWhatIsLeft() {
        start()
        let limit = InterviewStateMachine.Settings().maxAnswerBytes
        _ = machine.transcriptReceived(String(repeating: "b", count: limit - 10), isFinal: true, requestID: nil, at: clock.reading)
        // A partial replaces the previous partial: ten bytes fit, again and again; eleven do not.
        #expect(machine.transcriptReceived("0123456789", isFinal: false, requestID: nil, at: clock.reading).errors.isEmpty)
        #expect(machine.transcriptReceived("9876543210", isFinal: false, requestID: nil, at: clock.reading).errors.isEmpty)
        #expect(machine.transcriptReceived("01234567890", isFinal: false, requestID: "p", at: clock.reading).errors.map(\.code)
                == [.answerTooLong])
    }

    @Test mutating func theOpenAnswerIsPersistedAtMostOnceASecondWhileItChanges() {
        start()
        var drafts: [String] = []
        func collect(_ actions: [InterviewAction]) {
            drafts += actions.records.compactMap { if case .answerDraft(_, "q1", let text, _, _, _) = $0 { text } else { nil } }
        }
        _ = machine.answerTextReceived("First words", requestID: nil, at: clock.advance(100))
        collect(machine.timerFired(at: clock.advance(250)))
        _ = machine.answerTextReceived("and more", requestID: nil, at: clock.advance(100))
        for _ in 0..<3 { collect(machine.timerFired(at: clock.advance(250))) }  // under a second since the draft
        collect(machine.timerFired(at: clock.advance(250)))
        for _ in 0..<8 { collect(machine.timerFired(at: clock.advance(250))) }  // unchanged: no more drafts
        #expect(drafts == ["First words", "First words and more"])
        // The finished answer is recorded as such, and no draft of it follows.
        let done = machine.answerDone(requestID: nil, at: clock.advance(10))
        #expect(done.records.contains { if case .answerGiven(_, "q1", _, _, _, _, _, true, _) = $0 { true } else { false } })
        collect(machine.timerFired(at: clock.advance(2_000)))
        #expect(drafts.count == 2)
    }

    @Test mutating func aHeartbeatWithoutNewTextReusesTheAnalysis() {
        start()
        _ = machine.answerTextReceived("We shipped it in 3 weeks", requestID: nil, at: clock.advance(300))
        let first = machine.timerFired(at: clock.advance(1_000)).feedback
        let second = machine.timerFired(at: clock.advance(1_000)).feedback
        #expect(first.first?.wordCount == 6)
        #expect(second.first?.wordCount == 6)
        #expect((second.first?.elapsedMs ?? 0) > (first.first?.elapsedMs ?? 0), "the clock still moves")
    }

    @Test mutating func aConnectionThatNeverStartsIsClosed() {
        let timeout = InterviewStateMachine.Settings().sessionStartTimeoutMs
        #expect(machine.timerFired(at: clock.advance(timeout - 1)).isEmpty)
        let closing = machine.timerFired(at: clock.advance(1))
        #expect(closing.errors.map(\.code) == [.sessionStartTimeout])
        #expect(closing.errors.first?.fatal == true)
        #expect(closing.closeCode == 1008)
        #expect(machine.isFinished)
        #expect(machine.timerFired(at: clock.advance(1_000)).isEmpty, "closed once")
        #expect(machine.start(SessionStartRequest(trackID: "fake"), requestID: "late", sessionID: "S", plan: FakePlan(),
                              balanceMs: 600_000, at: clock.reading).errors.map(\.code) == [.wrongState])
    }

    @Test mutating func aSessionNeverChargesMoreThanItsBalanceAndEndsWhenItIsUsed() {
        _ = machine.start(SessionStartRequest(trackID: "fake"), requestID: nil, sessionID: "S", plan: FakePlan(),
                          balanceMs: 1_500, at: clock.reading)
        #expect(machine.usageToSettle(at: clock.advance(1_000)) == 1_000)
        // No settlement has reported the new balance yet; the session counts down on its own.
        let ending = machine.timerFired(at: clock.advance(600))
        #expect(ending.sent.contains(.billingUpdated(BillingUpdate(balanceMs: 0, sessionUsedMs: 1_600))))
        #expect(ending.ended?.reason == .balanceExhausted)
        #expect(ending.settledUsage == 500, "the 100 ms past the balance are not charged")
    }

    @Test mutating func aStartedSessionHasNoStartTimeout() {
        start()
        let actions = machine.timerFired(at: clock.advance(InterviewStateMachine.Settings().sessionStartTimeoutMs * 2))
        #expect(!actions.errors.contains { $0.code == .sessionStartTimeout })
        #expect(machine.isLive)
    }
}
