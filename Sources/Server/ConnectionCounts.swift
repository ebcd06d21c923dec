import Foundation

/// Interview WebSockets open per client address and per account, over every service thread, so the limits hold
/// however the kernel spreads connections. Thread-safe.
final class ConnectionCounts: @unchecked Sendable {
    let perAddress: Int
    let perAccount: Int
    private let lock = NSLock()
    private var byAddress: [String: Int] = [:]
    private var byAccount: [String: Int] = [:]

    /// Limits of 0 mean none.
    init(perAddress: Int, perAccount: Int) {
        self.perAddress = perAddress
        self.perAccount = perAccount
    }

    enum Refusal: Equatable { case address, account }

    /// Counts a connection in, or says which limit it would break (and counts nothing).
    func open(accountID: String, address: String) -> Refusal? {
        lock.withLock {
            if perAddress > 0, byAddress[address, default: 0] >= perAddress { return .address }
            if perAccount > 0, byAccount[accountID, default: 0] >= perAccount { return .account }
            byAddress[address, default: 0] += 1
            byAccount[accountID, default: 0] += 1
            return nil
        }
    }

    /// A connection counted by `open` has gone.
    func closed(accountID: String, address: String) {
        lock.withLock {
            Self.decrement(&byAddress, address)
            Self.decrement(&byAccount, accountID)
        }
    }

    private static func decrement(_ counts: inout [String: Int], _ key: String) {
        guard let count = counts[key] else { return }
        counts[key] = count > 1 ? count - 1 : nil
    }
}
