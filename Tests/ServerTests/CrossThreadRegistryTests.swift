import Foundation
import Interview
import Logging
import Prompts
import Store
import Testing
@testable import Server

/// The pieces the service threads share, on their own: the deadline heap, the connection counts and the session
/// registry, including from many threads at once.
@Suite final class CrossThreadRegistryTests {
    @Test func theDeadlineQueueHandsOutDueEntriesEarliestFirst() {
        var queue = DeadlineQueue()
        for (deadline, serial) in [(50, 1), (10, 2), (30, 3), (10, 4), (70, 5), (20, 6)] as [(Int64, UInt64)] {
            queue.push(deadline, serial: serial)
        }
        #expect(queue.earliest == 10)
        let due = queue.popDue(at: 30)
        #expect(due.map(\.deadlineMs) == [10, 10, 20, 30])
        #expect(Set(due.prefix(2).map(\.serial)) == [2, 4])
        #expect(queue.popDue(at: 49).isEmpty)
        #expect(queue.popDue(at: 1_000).map(\.serial) == [1, 5])
        #expect(queue.isEmpty)
    }

    @Test func theDeadlineQueueStaysOrderedUnderRandomPushes() {
        var generator = SystemRandomNumberGenerator()
        var queue = DeadlineQueue()
        var pushed: [Int64] = []
        for serial in 0..<2_000 {
            let deadline = Int64.random(in: 0...10_000, using: &generator)
            pushed.append(deadline)
            queue.push(deadline, serial: UInt64(serial))
        }
        let popped = queue.popDue(at: 5_000) + queue.popDue(at: .max)
        #expect(popped.map(\.deadlineMs) == pushed.sorted())
    }

    @Test func connectionCountsHoldTheirLimitsAcrossThreads() {
        let counts = ConnectionCounts(perAddress: 50, perAccount: 8)
        let lock = NSLock()
        nonisolated(unsafe) var admitted: [String: Int] = [:]
        // 16 threads race to open 20 connections each for 10 accounts from one address.
        DispatchQueue.concurrentPerform(iterations: 16) { thread in
            for attempt in 0..<20 {
                let account = "account-\((thread + attempt) % 10)"
                if counts.open(accountID: account, address: "10.0.0.1") == nil {
                    lock.withLock { admitted[account, default: 0] += 1 }
                }
            }
        }
        #expect(admitted.values.reduce(0, +) == 50, "the address limit, exactly")
        #expect(admitted.values.allSatisfy { $0 <= 8 })
        #expect(counts.open(accountID: "someone-else", address: "10.0.0.1") == .address)
        counts.closed(accountID: "account-0", address: "10.0.0.1")
        #expect(counts.open(accountID: "someone-else", address: "10.0.0.1") == nil)
        let unlimited = ConnectionCounts(perAddress: 0, perAccount: 0)
        #expect((0..<1_000).allSatisfy { _ in unlimited.open(accountID: "a", address: "b") == nil })
    }

    @Test func aParkedSessionIsTakenOnceByTheRightAccountWithTheRightToken() throws {
        let registry = SessionRegistry()
        let loops = (0..<8).map { _ in loop() }
        let parked = Self.connection(accountID: "ada", resumeToken: "secret")
        registry.park(parked, sessionID: "S", until: 10_000)
        #expect(registry.takeParked("T", accountID: "ada", token: "secret", for: loops[0], serial: 1).refusal == .notParked)
        #expect(registry.takeParked("S", accountID: "mallory", token: "secret", for: loops[0], serial: 1).refusal == .otherAccount)
        #expect(registry.takeParked("S", accountID: "ada", token: "wrong", for: loops[0], serial: 1).refusal == .wrongToken)
        // Eight threads resume at once with the right proof: exactly one gets the session.
        let lock = NSLock()
        nonisolated(unsafe) var winners: [Int] = []
        DispatchQueue.concurrentPerform(iterations: loops.count) { index in
            if case .success(let taken) = registry.takeParked("S", accountID: "ada", token: "secret", for: loops[index],
                                                                 serial: UInt64(100 + index)),
               taken === parked {
                lock.withLock { winners.append(index) }
            }
        }
        #expect(winners.count == 1)
        let winner = try #require(winners.first)
        let owner = try #require(registry.owner(of: "S"))
        #expect(owner.loop === loops[winner] && owner.serial == UInt64(100 + winner),
                "work for the session now goes to the winner's connection")
        #expect(registry.takeExpired(at: .max).isEmpty)
    }

    @Test func expiredParkedSessionsAreTakenAndLiveCountsFollowStartsAndEnds() {
        let registry = SessionRegistry()
        let loop = loop()
        registry.sessionStarted("A", accountID: "ada", on: loop, serial: 1)
        registry.sessionStarted("B", accountID: "ada", on: loop, serial: 2)
        #expect(registry.owner(of: "B")?.serial == 2)
        #expect(registry.liveSessions(accountID: "ada") == 2)
        registry.park(Self.connection(accountID: "ada", resumeToken: "t"), sessionID: "A", until: 1_000)
        registry.park(Self.connection(accountID: "ada", resumeToken: "t"), sessionID: "B", until: 5_000)
        #expect(registry.liveSessions(accountID: "ada") == 2, "a parked session still counts")
        #expect(registry.takeExpired(at: 999).isEmpty)
        #expect(registry.takeExpired(at: 1_000).count == 1)
        #expect(registry.withParked("B") { _ in })
        #expect(!registry.withParked("A") { _ in })
        registry.sessionEnded("A", accountID: "ada")
        #expect(registry.liveSessions(accountID: "ada") == 1)
        #expect(registry.owner(of: "A") == nil)
        #expect(registry.owner(of: "B")?.serial == 2, "a parked session keeps the serial of the connection it left")
        #expect(registry.takeExpired(at: 0, all: true).count == 1)
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Service loops that are never started: the registry only tells them apart. Their store lives in `data`,
    /// removed when the test ends.
    let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-registry-\(UUID().uuidString)")
    let services: EngineServices

    init() throws {
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let prompts = Self.repository.appendingPathComponent("Prompts")
        let configuration = ServerConfiguration(dataDirectory: data, promptsDirectory: prompts,
                                                staticDirectory: Self.repository.appendingPathComponent("web-static"))
        services = EngineServices(configuration: configuration, store: try SQLiteStore(path: configuration.databasePath),
                                  prompts: PromptsProvider(try PromptLibrary.load(directory: prompts).get()),
                                  logger: Logger(label: "test"), clock: MonotonicClock.now)
    }

    deinit { try? FileManager.default.removeItem(at: data) }

    func loop() -> ServiceLoop { ServiceLoop(services: services, index: 0) }

    static func connection(accountID: String, resumeToken: String) -> InterviewConnection {
        let connection = InterviewConnection(serial: 1, wsi: OpaquePointer(bitPattern: 0x10)!, accountID: accountID,
                                             address: "10.0.0.1", settings: .init(), openedAt: MonotonicClock.now(),
                                             maxQueuedBytes: 1_024, messageLimit: .unlimited)
        connection.resumeToken = resumeToken
        return connection
    }
}

private extension Result where Failure == SessionRegistry.ResumeRefusal {
    var refusal: SessionRegistry.ResumeRefusal? {
        if case .failure(let refusal) = self { refusal } else { nil }
    }
}
