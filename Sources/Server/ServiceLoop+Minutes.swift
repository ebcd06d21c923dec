import Foundation
import Interview
import Store

/// Minute settlement on a service thread: about once a second, every live session's metered time in one
/// transaction, then each session learns its account's balance.
extension ServiceLoop {
    func settleIfDue(at now: ClockReading) {
        guard !settlementInFlight, now.monotonicMs - lastSettlementMs >= configuration.settlementIntervalMs else { return }
        lastSettlementMs = now.monotonicMs
        var charges: [UsageCharge] = []
        for connection in interviews.values {
            guard let sessionID = connection.machine.sessionID else { continue }
            let ms = connection.machine.usageToSettle(at: now)
            if ms > 0 { charges.append(UsageCharge(sessionID: sessionID, accountID: connection.accountID, ms: ms)) }
        }
        guard !charges.isEmpty else { return }
        settlementInFlight = true
        services.writer.run { [weak self, charges] in
            guard let self else { return }
            let balances = writeCharges(charges)
            completions.post { [weak self] in self?.balancesSettled(balances) }
        }
    }

    /// A session's last partial second, when it ends.
    func settleFinal(_ charge: UsageCharge) {
        services.writer.run { [weak self] in self?.writeCharges([charge]) }
    }

    /// Writes charges (and any left over from a failed attempt). Store-writer queue only.
    @discardableResult
    func writeCharges(_ charges: [UsageCharge]) -> [String: Int64] {
        let batch = unsettledCharges + charges
        let startedNs = EngineMetrics.nowNs
        defer { EngineMetrics.record(services.metrics.settlementLatency, since: startedNs) }
        do {
            let balances = try services.store.settle(batch, at: configuration.clock())
            unsettledCharges = []
            services.metrics.settledSeconds.increment(by: Double(batch.reduce(0) { $0 + $1.ms }) / 1000)
            return balances
        } catch {
            services.metrics.settlementFailures.increment()
            unsettledCharges = batch
            logger.error("could not settle usage; will retry", metadata: ["error": "\(error)", "charges": "\(batch.count)"])
            return [:]
        }
    }

    func balancesSettled(_ balances: [String: Int64]) {
        settlementInFlight = false
        for connection in interviews.values {
            guard let balance = balances[connection.accountID] else { continue }
            run(connection.machine.balanceUpdated(balance, at: now), on: connection)
        }
    }
}
