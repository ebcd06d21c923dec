import CSignals
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM for `jestry serve`, caught by a handler that is in place before the engine says it listens:
/// a service manager or a test may signal the moment it reads that line. (A `DispatchSourceSignal` registers on
/// libdispatch's manager thread some time after `resume()`, and with the signal set to SIG_IGN meanwhile, as it
/// must be, a signal in that window was dropped and the process never stopped.)
enum TerminationSignals {
    /// Calls `received` with each signal's number, in order, on a thread of its own. Unblocks both signals on the
    /// calling thread, which must live as long as the process (the main thread): a parent may have started this
    /// process with them blocked (the servers the test runner starts get them so), and every thread inherits the
    /// mask, so a blocked signal would wait pending for ever.
    static func forward(_ received: @escaping @Sendable (Int32) -> Void) throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let numbers: [Int32] = [SIGINT, SIGTERM]
        guard jestry_forward_signals(ends[1], numbers, Int32(numbers.count)) == 0 else {
            throw POSIXError(.init(rawValue: errno) ?? .EINVAL)
        }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for number in numbers { sigaddset(&unblocked, number) }
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
        let readEnd = ends[0]
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 { received(Int32(byte)) } else if count < 0 && errno == EINTR { continue } else { return }
            }
        }
        thread.name = "jestry-signals"
        thread.start()
    }
}
