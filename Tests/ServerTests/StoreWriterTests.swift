import Dispatch
import Foundation
@testable import Interview
import Logging
import Store
import Testing
import TestSupport
@testable import Server

/// The interviews' writes on the store writer: in the order handed over, records in a row in one transaction.
@Suite final class StoreWriterTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-writer-\(UUID().uuidString)")
    let store: SQLiteStore
    let queue = DispatchQueue(label: "test.store-writer")
    let metrics = EngineMetrics(serviceThreads: 1)
    let writer: StoreWriter
    let accountID: String
    let log = RecordedLog()

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("jestry.sqlite").path)
        writer = StoreWriter(store: store, queue: queue, metrics: metrics)
        accountID = try store.createAccount(NewAccount(name: "Ann", email: "ann@example.com", passwordHash: "x",
                                                       birthDate: "1990-01-01"), trialMs: 0, at: Date()).id
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func logger(session sessionID: String) -> Logger {
        var logger = Logger(label: "test") { _ in RecordedLog.Handler(log: self.log) }
        logger[metadataKey: "session.id"] = "\(sessionID)"
        return logger
    }

    func write(_ record: SessionRecord) {
        writer.write(record, accountID: accountID, logger: logger(session: record.sessionID))
    }

    /// Holds the writer's queue until the returned semaphore is signalled, as a slow transaction would.
    func holdTheQueue() -> DispatchSemaphore {
        let gate = DispatchSemaphore(value: 0)
        queue.async { gate.wait() }
        return gate
    }

    /// A counter's value in the metrics exposition.
    func counter(_ name: String) -> Double? {
        metrics.exposition().split(separator: "\n").first { $0.hasPrefix(name + " ") }
            .flatMap { Double($0.split(separator: " ")[1]) }
    }

    static func question(_ number: Int) -> QuestionAsked {
        QuestionAsked(questionID: "q\(number)", number: number, kind: .main, text: "Tell me about a time.",
                      template: TemplateRef(id: "behavioural.conflict", version: "0123456789ab"), mainNumber: number,
                      targetSeconds: 120)
    }

    static let started = SessionRecord.sessionStarted(sessionID: "s1", trackID: "behavioural", mode: .voice,
                                                      sampleRate: 16_000, at: Date())

    @Test func recordsInARowShareATransactionAndWorkBetweenThemRunsBetweenThem() throws {
        let gate = holdTheQueue()
        write(Self.started)
        write(.questionAsked(sessionID: "s1", question: Self.question(1), at: Date()))
        let turnsSeen = Locked<[String]?>(nil)
        writer.run { [store, accountID] in
            let turns = try? store.session(id: "s1", accountID: accountID)?.turns.map(\.questionID)
            turnsSeen.withLock { $0 = turns }
        }
        write(.questionAsked(sessionID: "s1", question: Self.question(2), at: Date()))
        write(.sessionEnded(sessionID: "s1", reason: .completed, summary: SessionSummary(), report: nil, at: Date()))
        #expect(counter("jestry_queue_depth{queue=\"store_writer\"}") == 5)
        gate.signal()
        queue.sync {}

        // The work saw the records handed over before it, and none of those after it.
        #expect(turnsSeen.withLock { $0 } == ["q1"])
        #expect(try store.session(id: "s1", accountID: accountID)?.turns.map(\.questionID) == ["q1", "q2"])
        #expect(try store.session(id: "s1", accountID: accountID)?.session.endReason == "completed")
        #expect(counter("jestry_session_record_transactions_total") == 2)
        #expect(counter("jestry_session_records_written_total") == 4)
        #expect(counter("jestry_queue_depth{queue=\"store_writer\"}") == 0)
    }

    @Test func aLongRunOfRecordsIsSplitIntoTransactionsInOrder() throws {
        let gate = holdTheQueue()
        write(Self.started)
        let questions = 2 * StoreWriter.recordsPerTransaction + 99
        for number in 1...questions {
            write(.questionAsked(sessionID: "s1", question: Self.question(number), at: Date()))
        }
        gate.signal()
        queue.sync {}
        #expect(try store.session(id: "s1", accountID: accountID)?.turns.map(\.number) == Array(1...questions))
        #expect(counter("jestry_session_record_transactions_total") == 3)
        #expect(counter("jestry_session_records_written_total") == Double(questions + 1))
    }

    @Test func aFailingRecordIsLoggedWithItsSessionAndTheOthersOfItsBatchStay() throws {
        let gate = holdTheQueue()
        write(Self.started)
        write(.questionAsked(sessionID: "ghost", question: Self.question(1), at: Date()))
        write(.questionAsked(sessionID: "s1", question: Self.question(1), at: Date()))
        gate.signal()
        queue.sync {}
        #expect(try store.session(id: "s1", accountID: accountID)?.turns.map(\.questionID) == ["q1"])
        let errors = log.lines.filter { $0.level == .error }
        #expect(errors.map(\.message) == ["could not store a session record"])
        #expect(errors.first?.metadata["session.id"] == "ghost")
        #expect(counter("jestry_session_record_transactions_total") == 1)
        #expect(counter("jestry_session_records_written_total") == 2)
    }

    @Test func whenTheStoreIsClosedEveryRecordIsLogged() throws {
        try store.close()
        write(Self.started)
        write(.questionAsked(sessionID: "s1", question: Self.question(1), at: Date()))
        queue.sync {}
        #expect(log.lines.filter { $0.level == .error }.map { $0.metadata["session.id"] } == ["s1", "s1"])
        #expect(counter("jestry_session_record_transactions_total") == 0)
    }
}
