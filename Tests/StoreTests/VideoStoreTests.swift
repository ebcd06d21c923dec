import Foundation
import Testing
import Store

/// The store's side of session videos: one record per video, its chunks in order, gaps, the account's total, and
/// that they go with their session or account.
@Suite final class VideoStoreTests {
    /// Set by each test for the store it runs against.
    var fixture: StoreFixture!
    var store: any EngineStore { fixture.store }

    func chunk(_ number: Int, at offset: Int64, bytes: Int64 = 100) -> VideoChunk {
        VideoChunk(number: number, byteOffset: offset, byteCount: bytes, sha256: Data(repeating: UInt8(number), count: 32))
    }

    @Test(arguments: StoreKind.allCases) func aVideoBeginsOnceAndItsChunksFollowInOrder(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        try fixture.startSession("s1", accountID: account.id)
        #expect(try store.videoTarget(sessionID: "s1", accountID: account.id) == VideoUploadTarget(sessionEndedAt: nil, video: nil))
        let first = try store.beginVideo(sessionID: "s1", accountID: account.id, mimeType: "video/webm", startedAt: t0)
        let again = try store.beginVideo(sessionID: "s1", accountID: account.id, mimeType: "video/webm;codecs=vp9", startedAt: t0.addingTimeInterval(5))
        #expect(again == first, "the first start stays")

        let gap = VideoChunk(number: 2, byteOffset: 200, byteCount: 0, sha256: nil)
        let after = try store.appendVideoChunks(sessionID: "s1", [chunk(0, at: 0), chunk(1, at: 100), gap, chunk(3, at: 200)], finishedAt: nil)
        #expect(after.nextChunk == 4 && after.byteCount == 300 && after.gaps == [2] && after.finishedAt == nil)
        #expect(try store.videoChunk(sessionID: "s1", number: 1) == chunk(1, at: 100))
        #expect(try store.videoChunk(sessionID: "s1", number: 2)?.isGap == true)
        #expect(try store.videoChunk(sessionID: "s1", number: 9) == nil)

        // Out of order or at the wrong offset: refused, nothing changes.
        #expect(throws: VideoStoreError.self) { try self.store.appendVideoChunks(sessionID: "s1", [self.chunk(5, at: 300)], finishedAt: nil) }
        #expect(throws: VideoStoreError.self) { try self.store.appendVideoChunks(sessionID: "s1", [self.chunk(4, at: 250)], finishedAt: nil) }
        let finished = try store.appendVideoChunks(sessionID: "s1", [chunk(4, at: 300)], finishedAt: t0.addingTimeInterval(60))
        #expect(finished.byteCount == 400 && finished.finishedAt != nil)
        #expect(try store.videoTarget(sessionID: "s1", accountID: account.id)?.video == finished)
    }

    @Test(arguments: StoreKind.allCases) func onlyTheOwnerSeesItAndItGoesWithTheSessionOrTheAccount(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let ann = try fixture.createAccount()
        let bob = try fixture.createAccount(email: "bob@example.com")
        for id in ["s1", "s2"] {
            try fixture.startSession(id, accountID: ann.id)
            _ = try store.beginVideo(sessionID: id, accountID: ann.id, mimeType: "video/webm", startedAt: t0)
            _ = try store.appendVideoChunks(sessionID: id, [chunk(0, at: 0, bytes: 1_000)], finishedAt: nil)
        }
        #expect(try store.videoTarget(sessionID: "s1", accountID: bob.id) == nil)
        #expect(try store.videoBytes(accountID: ann.id) == 2_000)
        #expect(try store.videoBytes(accountID: bob.id) == 0)

        try store.apply(.sessionEnded(sessionID: "s1", reason: .completed, summary: SessionRecordTests.summary, report: nil, at: t0),
                        accountID: ann.id)
        #expect(try store.videoTarget(sessionID: "s1", accountID: ann.id)?.sessionEndedAt != nil)
        #expect(try store.deleteSession(id: "s1", accountID: ann.id) == .deleted)
        #expect(try store.videoChunk(sessionID: "s1", number: 0) == nil)
        #expect(try store.videoBytes(accountID: ann.id) == 1_000)
        _ = try store.deleteAccount(id: ann.id)
        #expect(try store.videoChunk(sessionID: "s2", number: 0) == nil)
        #expect(try store.videoBytes(accountID: ann.id) == 0)
    }
}
