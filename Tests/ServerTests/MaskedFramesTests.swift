import CMaskedFrames
import Foundation
import Synchronization
import Testing
import TestSupport

/// The mask check on its own, over a socket pair: what a watched socket's reader gets from `recv` is the stream
/// without its unmasked frames, however the bytes are split into reads, and the first unmasked frame is reported once.
@Suite struct MaskedFramesTests {
    /// The connections the check reported, in order (the handler is a C function, so it records here).
    static let reported = Mutex<[Int]>([])

    /// A socket pair whose reading end is non-blocking and watched as connection `id`, still speaking HTTP.
    final class WatchedPair {
        let writer: Int32
        let reader: Int32
        let id: Int

        init(id: Int) throws {
            var ends: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0 else { throw PairError.socketpair }
            (writer, reader, self.id) = (ends[0], ends[1], id)
            _ = fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) | O_NONBLOCK)
            guard jestry_masked_frames_accepted(reader, UnsafeMutableRawPointer(bitPattern: id)) == 0 else { throw PairError.watch }
        }

        /// The connection becomes a WebSocket: 1 when the bytes read with the upgrade request held an unmasked frame.
        @discardableResult
        func establish() -> Int32 {
            jestry_masked_frames_established(reader, UnsafeMutableRawPointer(bitPattern: id)) { connection in
                MaskedFramesTests.reported.withLock { $0.append(Int(bitPattern: connection)) }
            }
        }

        deinit {
            jestry_masked_frames_unwatch(reader, UnsafeMutableRawPointer(bitPattern: id))
            close(writer)
            close(reader)
        }

        func send(_ bytes: some Sequence<UInt8>) {
            let array = Array(bytes)
            #expect(write(writer, array, array.count) == array.count)
        }

        /// One `recv` of at most `limit` bytes: the bytes, or nil when it reported "nothing now" (EAGAIN).
        func receive(limit: Int = 65_536) -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: limit)
            let count = recv(reader, &buffer, limit, 0)
            if count < 0 {
                #expect(errno == EAGAIN, "recv failed with errno \(errno)")
                return nil
            }
            return Array(buffer.prefix(count))
        }

        /// Everything `recv` gives until the socket is empty.
        func receiveAll() -> [UInt8] {
            var all: [UInt8] = []
            while let bytes = receive(), !bytes.isEmpty { all += bytes }
            return all
        }

        /// Bytes waiting in the socket, not yet read.
        var pendingBytes: Int {
            var count: Int32 = 0
            _ = ioctl(reader, UInt(FIONREAD), &count)
            return Int(count)
        }

        var reports: Int { MaskedFramesTests.reported.withLock { $0.filter { $0 == id }.count } }

        enum PairError: Error { case socketpair, watch }
    }

    /// Each test its own connection id, so that tests running in parallel count only their own reports.
    static let nextID = Mutex(1)
    static func pair(established: Bool = true) throws -> WatchedPair {
        let pair = try WatchedPair(id: nextID.withLock { $0 += 1; return $0 })
        if established { #expect(pair.establish() == 0) }
        return pair
    }

    static let upgradeHead = Array(("GET /v1/interview HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
                                    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8)

    /// A final frame as RFC 6455 §5.2 lays it out, masked with a fixed key or not masked at all.
    static func frame(opcode: UInt8 = 0x1, _ payload: [UInt8], masked: Bool) -> [UInt8] {
        var frame: [UInt8] = [0x80 | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        switch payload.count {
        case ..<126: frame.append(maskBit | UInt8(payload.count))
        case ..<65_536: frame += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        default: frame += [maskBit | 127] + (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xff) }
        }
        guard masked else { return frame + payload }
        let key: [UInt8] = [0x11, 0x22, 0x33, 0x44]
        return frame + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    static func payload(_ count: Int, seed: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) ^ seed } }

    /// Masked frames of every length form: empty, 7-bit, 16-bit and 64-bit lengths, and a ping.
    static let maskedFrames: [[UInt8]] = [
        frame([], masked: true), frame(payload(5, seed: 1), masked: true), frame(payload(125, seed: 2), masked: true),
        frame(payload(126, seed: 3), masked: true), frame(payload(70_000, seed: 4), masked: true),
        frame(opcode: 0x9, payload(4, seed: 5), masked: true),
    ]

    @Test func maskedFramesPassUnchangedAndNothingIsReported() throws {
        let pair = try Self.pair()
        let stream = Self.maskedFrames.flatMap { $0 }
        var received: [UInt8] = []
        for start in stride(from: 0, to: stream.count, by: 4_096) {
            pair.send(stream[start..<min(start + 4_096, stream.count)])
            received += pair.receiveAll()
        }
        #expect(received == stream)
        #expect(pair.reports == 0)
    }

    @Test func unmaskedFramesAreRemovedAndTheFirstIsReportedOnce() throws {
        let pair = try Self.pair()
        let unmasked = [Self.frame(Array("{\"type\":\"session.start\"}".utf8), masked: false),
                        Self.frame(Self.payload(300, seed: 9), masked: false), Self.frame([], masked: false),
                        Self.frame(Self.payload(70_000, seed: 8), masked: false)]
        // Masked and unmasked frames alternate, in one stream.
        var stream: [UInt8] = []
        var expected: [UInt8] = []
        for (index, masked) in Self.maskedFrames.enumerated() {
            stream += masked + unmasked[index % unmasked.count]
            expected += masked
        }
        var received: [UInt8] = []
        for start in stride(from: 0, to: stream.count, by: 8_192) {
            pair.send(stream[start..<min(start + 8_192, stream.count)])
            received += pair.receiveAll()
        }
        #expect(received == expected)
        #expect(pair.reports == 1)
    }

    @Test func aHeaderSplitAcrossReadsIsDecidedWhenItsMaskBitArrives() throws {
        // Byte by byte: the first byte of each header is held back until the second shows whether it is masked.
        let pair = try Self.pair()
        let masked = Self.frame(Self.payload(200, seed: 6), masked: true)
        let unmasked = Self.frame(Self.payload(200, seed: 7), masked: false)
        var received: [UInt8] = []
        var emptyReads = 0
        for byte in masked + unmasked + masked {
            pair.send([byte])
            if let bytes = pair.receive() { received += bytes } else { emptyReads += 1 }
        }
        #expect(received == masked + masked)
        #expect(pair.reports == 1)
        // The unmasked frame's 202 bytes and the two withheld first bytes came back as "nothing now".
        #expect(emptyReads == unmasked.count + 2)
    }

    @Test func aSmallReadBufferNeverSplitsTheCheckAndOneCallReadsABoundedAmount() throws {
        let pair = try Self.pair()
        let masked = Self.frame(Self.payload(1_000, seed: 2), masked: true)
        pair.send(Self.frame(Self.payload(1_000, seed: 1), masked: false) + masked)
        // 7 bytes a read: the unmasked frame takes 144 reads to drop, more than one call makes before it reports
        // "nothing now", though bytes are waiting.
        #expect(pair.receive(limit: 7) == nil)
        #expect(pair.pendingBytes > 0)
        var received: [UInt8] = []
        while pair.pendingBytes > 0 { received += pair.receive(limit: 7) ?? [] }
        #expect(received == masked)
        #expect(pair.reports == 1)
    }

    @Test func anUnwatchedSocketAndAPeekAreNotFiltered() throws {
        let pair = try Self.pair()
        let unmasked = Self.frame(Self.payload(10, seed: 3), masked: false)
        pair.send(unmasked)
        var peeked = [UInt8](repeating: 0, count: 64)
        #expect(recv(pair.reader, &peeked, peeked.count, Int32(MSG_PEEK)) == unmasked.count)
        #expect(Array(peeked.prefix(unmasked.count)) == unmasked)
        // Another connection's id does not stop the watch; this one's does.
        jestry_masked_frames_unwatch(pair.reader, UnsafeMutableRawPointer(bitPattern: pair.id + 1_000))
        #expect(pair.receive() == nil)
        pair.send(unmasked)
        jestry_masked_frames_unwatch(pair.reader, UnsafeMutableRawPointer(bitPattern: pair.id))
        #expect(pair.receive() == unmasked)
        #expect(pair.reports == 1)
    }

    // MARK: Frames sent with the upgrade request, which lws reads before the connection is established

    @Test func anUnmaskedFrameSentWithTheUpgradeRequestIsFoundWhenTheConnectionIsEstablished() throws {
        let pair = try Self.pair(established: false)
        let stream = Self.upgradeHead + Self.maskedFrames[1] + Self.frame(Self.payload(10, seed: 1), masked: false)
        pair.send(stream)
        #expect(pair.receiveAll() == stream, "HTTP is read as it is")
        #expect(pair.establish() == 1)
        // Reported through the return value, not the handler.
        #expect(pair.reports == 0)
    }

    @Test func framesAfterTheUpgradeRequestAreFollowedSoTheNextReadsAreCheckedInStep() throws {
        // The head's "\r\n\r\n" split across reads; then masked frames, the last cut after its first byte.
        let pair = try Self.pair(established: false)
        let masked = Self.frame(Self.payload(300, seed: 2), masked: true)
        let sentWithHead = Self.maskedFrames[2] + masked.prefix(1)
        pair.send(Self.upgradeHead.dropLast(1))
        #expect(pair.receiveAll() == Array(Self.upgradeHead.dropLast(1)))
        pair.send([Self.upgradeHead.last!] + sentWithHead)
        #expect(pair.receiveAll() == [Self.upgradeHead.last!] + sentWithHead)
        #expect(pair.establish() == 0)
        // The rest of that frame passes; an unmasked frame after it is cut and reported.
        pair.send(Array(masked.dropFirst()) + Self.frame(Self.payload(40, seed: 3), masked: false) + Self.maskedFrames[0])
        #expect(pair.receiveAll() == Array(masked.dropFirst()) + Self.maskedFrames[0])
        #expect(pair.reports == 1)
    }

    @Test func theBodyOfAnEarlierRequestIsNotTakenForFrames() throws {
        // On one connection, a request whose body looks like an unmasked frame, then the upgrade request alone.
        let pair = try Self.pair(established: false)
        let post = Array("POST /v1/login HTTP/1.1\r\nContent-Length: 2\r\n\r\n".utf8) + [0x81, 0x00]
        pair.send(post)
        #expect(pair.receiveAll() == post)
        pair.send(Self.upgradeHead)
        #expect(pair.receiveAll() == Self.upgradeHead)
        #expect(pair.establish() == 0)
    }

    @Test func aHeadIsUnfinishedUntilItEndsOrLwsHandsTheRequestOver() throws {
        let pair = try Self.pair(established: false)
        let unfinished = { jestry_masked_frames_head_unfinished(pair.reader, UnsafeMutableRawPointer(bitPattern: pair.id)) }
        #expect(unfinished() == 0)
        pair.send(Array("GET /v1/health HTTP/1.1\r\nHost: x\r\n".utf8))
        _ = pair.receiveAll()
        #expect(unfinished() == 1)
        pair.send(Array("\r\n".utf8))
        _ = pair.receiveAll()
        #expect(unfinished() == 0)
        // A body after the head looks like the start of another head, until lws hands the body over.
        pair.send(Array("POST /v1/login HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}".utf8))
        _ = pair.receiveAll()
        #expect(unfinished() == 1)
        jestry_masked_frames_request_read(pair.reader, UnsafeMutableRawPointer(bitPattern: pair.id))
        #expect(unfinished() == 0)
        // A WebSocket has no heads.
        pair.send(Self.upgradeHead.prefix(10))
        _ = pair.receiveAll()
        pair.establish()
        #expect(unfinished() == 0)
    }

    /// Seeded random streams: frames of every length form, masked or not, read in pieces of random sizes (from one
    /// byte up), part of them in the upgrade's packet. From the end of that packet on, lws gets exactly the masked
    /// frames' bytes, in order, and the connection's first unmasked frame is reported exactly once, by
    /// `established` when its mask bit came with the head, else by the handler.
    @Test(arguments: 0..<40) func anyStreamReadInAnyPiecesLosesOnlyItsUnmaskedFrames(seed: UInt64) throws {
        var random = SeededGenerator(state: seed)
        let pair = try Self.pair(established: false)
        var frames: [(bytes: [UInt8], masked: Bool)] = []
        for index in 0..<Int.random(in: 1...12, using: &random) {
            let length = [0, 1, 125, 126, 127, 200, 65_535, 65_536, 70_000].randomElement(using: &random)!
            let masked = Bool.random(using: &random) || Bool.random(using: &random)
            let opcode: UInt8 = length <= 125 && Bool.random(using: &random) ? 0x9 : 0x2
            frames.append((Self.frame(opcode: opcode, Self.payload(length, seed: UInt8(index)), masked: masked), masked))
        }
        let stream = frames.flatMap(\.bytes)
        let withHead = Bool.random(using: &random) ? Int.random(in: 0...min(stream.count, 300), using: &random) : 0
        // What lws should get after the head's packet: every masked frame's bytes from there on.
        var expected: [UInt8] = []
        var start = 0
        for frame in frames {
            if frame.masked { expected += frame.bytes.suffix(from: max(0, min(frame.bytes.count, withHead - start))) }
            start += frame.bytes.count
        }

        pair.send(Self.upgradeHead + stream.prefix(withHead))
        #expect(pair.receiveAll() == Self.upgradeHead + stream.prefix(withHead), "HTTP is read as it is")
        let foundWithHead = pair.establish() == 1
        var received: [UInt8] = []
        var offset = withHead
        while offset < stream.count {
            let piece = min(stream.count - offset, [1, 2, 3, 7, 100, 4_096, 65_536].randomElement(using: &random)!)
            pair.send(stream[offset..<offset + piece])
            offset += piece
            // Every call takes bytes out of the socket (at most 64 reads whose bytes are all cut): this ends.
            var calls = 0
            while pair.pendingBytes > 0, calls < 200_000 {
                received += pair.receive(limit: [2, 3, 64, 16_384].randomElement(using: &random)!) ?? []
                calls += 1
            }
            guard pair.pendingBytes == 0 else {
                Issue.record("seed \(seed): the socket is not drained")
                return
            }
        }
        received += pair.receiveAll()
        #expect(received == expected, "seed \(seed): \(received.count) bytes, expected \(expected.count)")
        let anyUnmasked = frames.contains { !$0.masked }
        #expect((foundWithHead ? 1 : 0) + pair.reports == (anyUnmasked ? 1 : 0), "seed \(seed)")
    }
}
