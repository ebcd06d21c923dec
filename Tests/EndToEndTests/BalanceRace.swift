import EngineClient
import Foundation
import Testing

/// Two sessions of one account that start together and run until the minutes are gone: the race both the
/// single-engine and the two-node ledger tests play.
enum BalanceRace {
    /// Starts a session on each client, reads each until it ends, and checks what every such race must show: each
    /// session is told the minutes ran out, and the balances it saw only went down, to exactly zero. Returns the
    /// session ids, in the clients' order.
    static func run(_ clients: [WebSocketClient]) throws -> [String] {
        for client in clients { try client.send(json: ["type": "session.start", "track": "behavioural"]) }
        let ids = try clients.map { try #require(try $0.next("session.started")["session_id"] as? String) }
        for client in clients {
            let (balances, reason) = try runToTheEnd(client)
            #expect(reason == "balance_exhausted", "each session is told the minutes ran out")
            #expect(balances.last == 0)
            #expect(balances.allSatisfy { $0 >= 0 })
            #expect(balances == balances.sorted(by: >), "balances only go down")
        }
        return ids
    }

    /// Reads one session's events until it ends; returns the balances it saw and how it ended.
    private static func runToTheEnd(_ client: WebSocketClient) throws -> (balances: [Int], reason: String?) {
        var balances: [Int] = []
        while true {
            let message = try client.nextJSON(timeout: 20)
            switch message["type"] as? String {
            case "billing.updated": balances.append(message["balance_ms"] as? Int ?? -1)
            case "session.ended": return (balances, message["reason"] as? String)
            case nil: return (balances, nil)
            default: continue
            }
        }
    }
}
