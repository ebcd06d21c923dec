import CCurl
import Foundation

/// The client's one I/O thread: one curl multi handle, driven by `curl_multi_poll`, that runs every transfer.
///
/// Other threads never touch curl: they put commands (start this, cancel that, shut down) into a locked inbox and
/// wake the thread with `curl_multi_wakeup`, the one curl call that is safe from any thread. So a transfer is
/// added, taken out (`curl_multi_remove_handle`) and finished only here, in one order, and a cancel cannot race
/// its transfer's completion: whichever the thread sees first decides, and the other finds nothing to do.
final class CurlMultiLoop: @unchecked Sendable {
    enum Submission {
        case accepted(UInt64)
        case refused(OutboundFailure)
    }

    private enum Command {
        case start(CurlTransfer)
        case cancel(UInt64)
    }

    private enum Phase {
        /// No request yet: no thread either.
        case idle
        case open, shuttingDown, closed
    }

    let maxTransfers: Int
    private let threadName: String
    private let multi: UnsafeMutableRawPointer

    // Shared with other threads, under `lock`. `curl_multi_wakeup` is called only under it and only while open,
    // so it can never meet `curl_multi_cleanup`.
    private let lock = NSLock()
    private var inbox: [Command] = []
    private var phase = Phase.idle
    private var underWay = 0
    private var nextID: UInt64 = 1

    // The thread's own.
    private var transfers: [UInt64: CurlTransfer] = [:]
    private var byHandle: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    /// curl's global setup, once per process, before the first handle.
    private static let globalSetup: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    init(threadName: String, maxTransfers: Int, idleConnections: Int) {
        Self.globalSetup
        self.threadName = threadName
        self.maxTransfers = maxTransfers
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.multi = multi
        _ = jestry_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, idleConnections)
    }

    static var nowNs: UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Transfers started and not yet finished.
    var transfersUnderWay: Int { lock.withLock { underWay } }

    func submit(_ request: OutboundRequest, receiver: any OutboundReceiver) -> Submission {
        let startedNs = Self.nowNs
        return lock.withLock {
            if phase == .idle { startThread() }
            guard phase == .open else { return .refused(.shutDown) }
            guard underWay < maxTransfers else { return .refused(.busy(limit: maxTransfers)) }
            underWay += 1
            let id = nextID
            nextID += 1
            inbox.append(.start(CurlTransfer(id: id, request: request, receiver: receiver, startedNs: startedNs)))
            curl_multi_wakeup(multi)
            return .accepted(id)
        }
    }

    func cancel(_ id: UInt64) {
        lock.withLock {
            guard phase == .open else { return }
            inbox.append(.cancel(id))
            curl_multi_wakeup(multi)
        }
    }

    /// Every transfer under way finishes with `.shutDown`, and the thread ends; safe from any thread, this one too.
    func shutDown() {
        lock.withLock {
            switch phase {
            case .idle:
                phase = .closed
                curl_multi_cleanup(multi)
            case .open:
                phase = .shuttingDown
                curl_multi_wakeup(multi)
            case .shuttingDown, .closed:
                break
            }
        }
    }

    /// The thread starts with the first request, so a client that is never used costs none. Under `lock`.
    private func startThread() {
        phase = .open
        Thread { [self] in
            Thread.current.name = threadName  // set from the thread itself, so it shows in /proc and debuggers
            run()
        }.start()
    }

    private func run() {
        while true {
            let (commands, stopping) = lock.withLock {
                defer { inbox.removeAll(keepingCapacity: true) }
                return (inbox, phase == .shuttingDown)
            }
            for command in commands {
                switch command {
                case .start(let transfer): start(transfer)
                case .cancel(let id): end(id, with: .cancelled)
                }
            }
            if stopping { return close() }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectFinished()
            let timeoutMs = expireDeadlines()
            _ = curl_multi_poll(multi, nil, 0, timeoutMs, nil)
        }
    }

    private func start(_ transfer: CurlTransfer) {
        transfers[transfer.id] = transfer
        if let refused = transfer.prepare() { return finish(transfer, transfer.machine.cancelled(refused)) }
        let handle = transfer.handle!
        byHandle[handle] = transfer
        let added = curl_multi_add_handle(multi, handle)
        guard added == CURLM_OK else {
            byHandle[handle] = nil
            return finish(transfer, transfer.machine.cancelled(.transport("curl_multi_add_handle: \(added.rawValue)")))
        }
    }

    /// Ends a transfer before curl has (cancel, a time limit, shut-down); nothing if it has already finished.
    private func end(_ id: UInt64, with failure: OutboundFailure) {
        guard let transfer = transfers[id] else { return }
        finish(transfer, transfer.machine.cancelled(failure))
    }

    private func collectFinished() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                  let transfer = byHandle[handle] else { continue }
            let code = jestry_curl_msg_result(message)
            finish(transfer, transfer.machine.transferEnded(failure: transfer.failure(for: code)))
        }
    }

    /// Ends the transfers whose limits have passed; how long `curl_multi_poll` may then sleep (curl shortens it for
    /// its own timers, and a command wakes it at once).
    private func expireDeadlines() -> Int32 {
        let now = Self.nowNs
        for transfer in Array(transfers.values) {
            if let result = transfer.machine.timePassed(nowNs: now) { finish(transfer, result) }
        }
        guard let next = transfers.values.compactMap(\.machine.nextDeadlineNs).min() else { return 60_000 }
        return Int32(min(60_000, (next.saturatingSubtraction(now) + 999_999) / 1_000_000))
    }

    /// Takes the transfer out of curl (closing its connection if the response was not complete) and gives the
    /// receiver its one `finished`. The slot is freed first, so a receiver may start the next transfer there.
    private func finish(_ transfer: CurlTransfer, _ result: Result<Void, OutboundFailure>?) {
        guard let result else { return }
        if let handle = transfer.handle {
            if byHandle.removeValue(forKey: handle) != nil { curl_multi_remove_handle(multi, handle) }
            transfer.release()
        }
        transfers[transfer.id] = nil
        lock.withLock { underWay -= 1 }
        transfer.receiver.finished(result)
    }

    private func close() {
        for transfer in Array(transfers.values) { finish(transfer, transfer.machine.cancelled(.shutDown)) }
        lock.withLock { phase = .closed }
        curl_multi_cleanup(multi)
    }
}

extension UInt64 {
    fileprivate func saturatingSubtraction(_ other: UInt64) -> UInt64 { self > other ? self - other : 0 }
}
