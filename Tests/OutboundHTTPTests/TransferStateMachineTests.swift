import Foundation
@testable import OutboundHTTP
import Testing

/// A transfer's decisions without sockets: the head, the size and time limits, and one end whatever comes first.
@Suite struct TransferStateMachineTests {
    static let second: UInt64 = 1_000_000_000
    static func machine(total: TimeInterval = 10, firstByte: TimeInterval? = 2, idle: TimeInterval? = 1,
                        maxBytes: Int = 100) -> TransferStateMachine {
        TransferStateMachine(limits: OutboundLimits(total: total, firstByte: firstByte, idle: idle, maxResponseBytes: maxBytes),
                             startedNs: 5 * second)
    }

    @Test func theHeadIsTheFinalBlocksStatusAfterInterimOnes() {
        var machine = Self.machine()
        #expect(machine.headerLineReceived("HTTP/1.1 100 Continue\r\n", atNs: 6 * Self.second) == .proceed)
        #expect(machine.headerLineReceived("\r\n", atNs: 6 * Self.second) == .proceed)
        #expect(machine.headerLineReceived("HTTP/1.1 429 Too Many Requests\r\n", atNs: 6 * Self.second) == .proceed)
        #expect(machine.headerLineReceived("Content-Type: application/json\r\n", atNs: 6 * Self.second) == .proceed)
        #expect(machine.headerLineReceived("\r\n", atNs: 6 * Self.second) == .deliverHead(status: 429))
        #expect(machine.bodyReceived(count: 10, atNs: 6 * Self.second) == .deliver)
        #expect(machine.headerLineReceived("X-Trailer: 1\r\n", atNs: 6 * Self.second) == .proceed)  // trailers
        #expect(machine.transferEnded(failure: nil).map { (try? $0.get()) != nil } == true)
        #expect(machine.isFinished)
    }

    @Test func aHeadWithoutAStatusLineIsAFailure() {
        var machine = Self.machine()
        #expect(machine.headerLineReceived("\r\n", atNs: 6 * Self.second) == .abort)
        #expect(Self.failure(machine.transferEnded(failure: .stopped)) == .transport("a response head without a status line"))
    }

    @Test func aResponseThatEndsBeforeItsHeadIsAFailure() {
        var machine = Self.machine()
        #expect(Self.failure(machine.transferEnded(failure: nil)) == .transport("the response ended before its head"))
    }

    @Test func theBodyLimitAbortsAndIsTheReasonGiven() {
        var machine = Self.machine(maxBytes: 100)
        _ = machine.headerLineReceived("HTTP/1.1 200 OK\r\n", atNs: 6 * Self.second)
        _ = machine.headerLineReceived("\r\n", atNs: 6 * Self.second)
        #expect(machine.bodyReceived(count: 60, atNs: 6 * Self.second) == .deliver)
        #expect(machine.bodyReceived(count: 40, atNs: 6 * Self.second) == .deliver)
        #expect(machine.bodyReceived(count: 1, atNs: 6 * Self.second) == .abort)
        // curl reports the callback's error; the machine gives the real reason, once.
        #expect(Self.failure(machine.transferEnded(failure: .stopped)) == .responseTooLarge(limit: 100))
        #expect(machine.transferEnded(failure: nil) == nil)
        #expect(machine.cancelled() == nil)
        #expect(machine.timePassed(nowNs: 100 * Self.second) == nil)
    }

    @Test func aStopFromTheReceiverIsTheReasonGiven() {
        var machine = Self.machine()
        _ = machine.headerLineReceived("HTTP/1.1 200 OK\r\n", atNs: 6 * Self.second)
        _ = machine.headerLineReceived("\r\n", atNs: 6 * Self.second)
        machine.receiverStopped()
        #expect(machine.bodyReceived(count: 1, atNs: 6 * Self.second) == .abort)
        #expect(Self.failure(machine.transferEnded(failure: .transport("write error"))) == .stopped)
    }

    @Test func theFirstByteLimitRunsUntilAByteComesThenTheIdleLimit() {
        var machine = Self.machine(total: 10, firstByte: 2, idle: 1)
        #expect(machine.nextDeadlineNs == 7 * Self.second)  // started at 5 s, 2 s to the first byte
        #expect(machine.timePassed(nowNs: 7 * Self.second - 1) == nil)
        _ = machine.headerLineReceived("HTTP/1.1 200 OK\r\n", atNs: 6 * Self.second)
        #expect(machine.nextDeadlineNs == 7 * Self.second)  // now the idle limit: 1 s after that byte
        _ = machine.headerLineReceived("\r\n", atNs: 6 * Self.second + 500_000_000)
        #expect(machine.nextDeadlineNs == 7 * Self.second + 500_000_000)
        #expect(machine.timePassed(nowNs: 7 * Self.second) == nil)
        #expect(Self.failure(machine.timePassed(nowNs: 7 * Self.second + 500_000_000)) == .timedOut(.idle(1)))
        #expect(machine.nextDeadlineNs == nil)
        #expect(machine.transferEnded(failure: nil) == nil)  // curl's late verdict changes nothing
    }

    @Test func aServerThatSaysNothingPassesTheFirstByteLimit() {
        var machine = Self.machine(total: 10, firstByte: 2, idle: 1)
        #expect(Self.failure(machine.timePassed(nowNs: 7 * Self.second)) == .timedOut(.firstByte(2)))
    }

    @Test func theTotalLimitHoldsHoweverSteadyTheStream() {
        var machine = Self.machine(total: 3, firstByte: nil, idle: 1)
        _ = machine.headerLineReceived("HTTP/1.1 200 OK\r\n", atNs: 5 * Self.second)
        _ = machine.headerLineReceived("\r\n", atNs: 5 * Self.second)
        for tenth in 1...29 {
            let now = 5 * Self.second + UInt64(tenth) * 100_000_000
            #expect(machine.bodyReceived(count: 1, atNs: now) == .deliver)
            #expect(machine.timePassed(nowNs: now) == nil)
        }
        #expect(machine.nextDeadlineNs == 8 * Self.second)
        #expect(Self.failure(machine.timePassed(nowNs: 8 * Self.second)) == .timedOut(.total(3)))
    }

    @Test func withNoFirstByteOrIdleLimitOnlyTheTotalCounts() {
        let machine = Self.machine(total: 4, firstByte: nil, idle: nil)
        #expect(machine.nextDeadlineNs == 9 * Self.second)
    }

    @Test func aCancelAfterTheEndAndAnEndAfterTheCancelAreNothing() {
        var finished = Self.machine()
        _ = finished.headerLineReceived("HTTP/1.1 200 OK\r\n", atNs: 6 * Self.second)
        _ = finished.headerLineReceived("\r\n", atNs: 6 * Self.second)
        #expect(finished.transferEnded(failure: nil) != nil)
        #expect(finished.cancelled() == nil)

        var cancelled = Self.machine()
        #expect(Self.failure(cancelled.cancelled()) == .cancelled)
        #expect(cancelled.transferEnded(failure: nil) == nil)
        #expect(cancelled.cancelled() == nil)
        #expect(cancelled.headerLineReceived("HTTP/1.1 200 OK\r\n", atNs: 6 * Self.second) == .abort)
    }

    static func failure(_ result: Result<Void, OutboundFailure>?) -> OutboundFailure? {
        if case .failure(let failure) = result { failure } else { nil }
    }
}
