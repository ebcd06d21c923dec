import Foundation

/// One transfer's life without I/O: the client's thread tells it what happened (a header line, a piece of body,
/// the time, a cancel, curl's verdict) and does what it answers. It decides when the response head is complete,
/// enforces the size and time limits, and guarantees that a transfer finishes exactly once, whichever of
/// completion, cancel and a deadline comes first.
struct TransferStateMachine {
    enum State: Equatable {
        /// Reading header blocks; `status` is the current block's (interim 1xx blocks are skipped).
        case awaitingHead(status: Int?)
        /// The head was delivered; body bytes follow.
        case streaming
        /// Curl is still running, but the transfer has been decided (`failure` is given when curl ends).
        case aborting(OutboundFailure)
        case finished
    }

    /// What to do with a header line.
    enum HeaderAction: Equatable {
        case proceed
        /// The final head is complete: hand this status to the receiver.
        case deliverHead(status: Int)
        /// Make curl stop (return an error from its callback); the failure comes with `transferEnded`.
        case abort
    }

    /// What to do with a piece of body.
    enum BodyAction: Equatable {
        case deliver
        case abort
    }

    let limits: OutboundLimits
    let startedNs: UInt64
    private(set) var state: State = .awaitingHead(status: nil)
    private var lastByteNs: UInt64?
    private var bodyBytes = 0

    init(limits: OutboundLimits, startedNs: UInt64) {
        self.limits = limits
        self.startedNs = startedNs
    }

    var isFinished: Bool { state == .finished }

    /// One header line as curl hands it (status line, field, or the empty line that ends a block).
    mutating func headerLineReceived(_ line: String, atNs now: UInt64) -> HeaderAction {
        lastByteNs = now
        guard case .awaitingHead(let status) = state else { return state == .streaming ? .proceed : .abort }
        if line.hasPrefix("HTTP/") {
            let code = line.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) }
            state = .awaitingHead(status: code)
            return .proceed
        }
        guard line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return .proceed }
        guard let status else {
            state = .aborting(.transport("a response head without a status line"))
            return .abort
        }
        if (100..<200).contains(status) {  // `100 Continue` and friends: the real head follows
            state = .awaitingHead(status: nil)
            return .proceed
        }
        state = .streaming
        return .deliverHead(status: status)
    }

    /// `count` bytes of body arrived.
    mutating func bodyReceived(count: Int, atNs now: UInt64) -> BodyAction {
        lastByteNs = now
        guard state == .streaming else {
            if case .awaitingHead = state { state = .aborting(.transport("body before the response head")) }
            return .abort
        }
        bodyBytes += count
        guard bodyBytes <= limits.maxResponseBytes else {
            state = .aborting(.responseTooLarge(limit: limits.maxResponseBytes))
            return .abort
        }
        return .deliver
    }

    /// The receiver answered `.stop` to what it was given.
    mutating func receiverStopped() {
        guard !isFinished else { return }
        state = .aborting(.stopped)
    }

    /// The transfer is to end now (the caller takes it out of curl): the result to give, or nil if it already has
    /// one.
    mutating func cancelled(_ failure: OutboundFailure = .cancelled) -> Result<Void, OutboundFailure>? {
        guard !isFinished else { return nil }
        state = .finished
        return .failure(failure)
    }

    /// Curl finished the transfer: `failure` is nil when it read the whole response, `.stopped` when one of our
    /// callbacks made it stop. The result to give, or nil if it already has one.
    mutating func transferEnded(failure: OutboundFailure?) -> Result<Void, OutboundFailure>? {
        switch state {
        case .finished:
            return nil
        case .aborting(let decided):
            state = .finished
            return .failure(decided)
        case .awaitingHead where failure == nil:
            state = .finished
            return .failure(.transport("the response ended before its head"))
        case .awaitingHead, .streaming:
            state = .finished
            return failure.map { .failure($0) } ?? .success(())
        }
    }

    /// The earliest moment at which a limit ends the transfer.
    var nextDeadlineNs: UInt64? {
        guard !isFinished else { return nil }
        return deadlines.map(\.atNs).min()
    }

    /// Ends the transfer if a limit has passed at `now`: the result to give, or nil.
    mutating func timePassed(nowNs now: UInt64) -> Result<Void, OutboundFailure>? {
        guard !isFinished, let passed = deadlines.filter({ $0.atNs <= now }).min(by: { $0.atNs < $1.atNs }) else { return nil }
        return cancelled(.timedOut(passed.timeout))
    }

    private var deadlines: [(atNs: UInt64, timeout: OutboundTimeout)] {
        var deadlines = [(startedNs + Self.ns(limits.total), OutboundTimeout.total(limits.total))]
        if let lastByteNs {
            if let idle = limits.idle { deadlines.append((lastByteNs + Self.ns(idle), .idle(idle))) }
        } else if let firstByte = limits.firstByte {
            deadlines.append((startedNs + Self.ns(firstByte), .firstByte(firstByte)))
        }
        return deadlines
    }

    static func ns(_ seconds: TimeInterval) -> UInt64 { UInt64(max(0, seconds) * 1_000_000_000) }
}
