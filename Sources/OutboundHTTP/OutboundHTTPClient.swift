import Foundation

/// The engine's HTTP client for the services it calls (the model, the transcriber): libcurl's multi interface on
/// one thread of its own, so a hundred slow streams cost one thread that sleeps in `poll` between their bytes.
///
/// Every transfer is bounded: at most `maxTransfers` under way (past that a request is refused at once with
/// `.busy`), and each request's `OutboundLimits` (total time, time to the first byte, silence while streaming,
/// response size). Connections to the same host are kept and reused; `https` is verified against the system's
/// certificate authorities. `cancel` is a message to the I/O thread, so it is safe from any thread at any moment,
/// also while the transfer completes.
public final class OutboundHTTPClient: Sendable {
    private let loop: CurlMultiLoop

    /// `name` is its thread's (Linux shows 15 bytes of it), which starts with the first request; `shutdown` (or the last reference going)
    /// stops it. At most `idleConnections` connections are kept open for reuse.
    public init(name: String = "jestry.outbound", maxTransfers: Int = 64, idleConnections: Int = 16) {
        loop = CurlMultiLoop(threadName: name, maxTransfers: max(1, maxTransfers), idleConnections: max(0, idleConnections))
    }

    deinit { loop.shutDown() }

    public var maxTransfers: Int { loop.maxTransfers }

    /// Transfers started and not yet finished.
    public var transfersUnderWay: Int { loop.transfersUnderWay }

    /// Starts a streamed transfer; `receiver` hears of it as `OutboundReceiver` says. A refusal (`.busy`,
    /// `.shutDown`) is given at once, on the caller's thread.
    @discardableResult
    public func start(_ request: OutboundRequest, receiver: any OutboundReceiver) -> OutboundTransfer {
        switch loop.submit(request, receiver: receiver) {
        case .accepted(let id):
            return OutboundTransfer(loop: loop, id: id)
        case .refused(let failure):
            receiver.finished(.failure(failure))
            return OutboundTransfer(loop: nil, id: 0)
        }
    }

    /// Sends a request and collects its whole response (at most `limits.maxResponseBytes` of body). `completion`
    /// runs once, on the client's thread (or at once on the caller's, for a refusal): keep it short.
    @discardableResult
    public func send(_ request: OutboundRequest,
                     completion: @escaping @Sendable (Result<OutboundResponse, OutboundFailure>) -> Void) -> OutboundTransfer {
        start(request, receiver: CollectingReceiver(completion: completion))
    }

    /// Finishes every transfer under way with `.shutDown` and stops the thread; later requests are refused. Safe
    /// from any thread, a receiver's callback included; it does not wait.
    public func shutdown() { loop.shutDown() }
}

/// A transfer under way.
public final class OutboundTransfer: Sendable {
    private let loop: CurlMultiLoop?
    private let id: UInt64

    init(loop: CurlMultiLoop?, id: UInt64) {
        self.loop = loop
        self.id = id
    }

    /// Ends the transfer (its connection is closed) and frees its place; its receiver's `finished` then says
    /// `.cancelled`, unless the transfer had already finished. A piece of the response already on its way to the
    /// receiver may still arrive first. Safe from any thread, any number of times.
    public func cancel() { loop?.cancel(id) }
}
