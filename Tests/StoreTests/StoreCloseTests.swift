import Foundation
import Testing
import Store

/// The end of a store's life: after the engine's last write it is closed, and then it is done.
@Suite final class StoreCloseTests {
    /// Set by each test for the store it runs against.
    var fixture: StoreFixture!
    var store: any EngineStore { fixture.store }

    @Test(arguments: StoreKind.allCases) func aClosedStoreRefusesEveryCall(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        try store.close()
        try store.close()  // a second close (a drain's stop, then the process's) is harmless
        // Refused with an error that says why, never a crash in the closed database.
        let read = #expect(throws: (any Error).self) { try self.store.balance(accountID: account.id) }
        let write = #expect(throws: (any Error).self) { try self.fixture.createAccount(email: "bo@example.com") }
        for error in [read, write] {
            #expect(error.map { "\($0)".contains("the store is closed") } == true, "\(String(describing: error))")
        }
    }

    /// Until it is closed, the newest writes live in the write-ahead log beside the database file; a backup that
    /// copies the database file alone would miss them.
    @Test func closingSQLiteFoldsTheWriteAheadLogIntoTheDatabaseFile() throws {
        fixture = try StoreFixture(.sqlite)
        let path = try #require(fixture.sqlitePath)
        let account = try fixture.createAccount()
        try fixture.startSession("S1", accountID: account.id)
        #expect(try Self.size(path + "-wal") > 0)

        try store.close()
        #expect(try Self.size(path + "-wal") == 0, "nothing is left in the write-ahead log")

        // The database file alone, copied elsewhere, has everything.
        // In a folder of its own: opening the copy makes its -wal and -shm beside it.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("jestry.sqlite")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: path), to: copy)
        let reopened = try SQLiteStore(path: copy.path)
        defer { try? reopened.close() }
        #expect(try reopened.balance(accountID: account.id) == 600_000)
        #expect(try reopened.sessions(accountID: account.id).map(\.id) == ["S1"])
    }

    /// A file's size; 0 when it does not exist.
    static func size(_ path: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        return try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
    }
}
