import Audio
import Dispatch
import Foundation
import Logging
import Testing
import TestSupport
@testable import Server

/// A consenting candidate's recording: gathered in chunks on the session's thread, every frame in the file in order
/// once the session is parked or ends, and bounded while the disk is behind.
@Suite final class SessionRecorderTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-recorder-\(UUID().uuidString)")
    let queue = DispatchQueue(label: "test.recorder")
    let log = RecordedLog()

    deinit { try? FileManager.default.removeItem(at: directory) }

    var file: URL { directory.appendingPathComponent("s1.wav") }

    func recorder() -> SessionRecorder {
        SessionRecorder(file: file, sampleRate: 16_000, logger: Logger(label: "test") { _ in RecordedLog.Handler(log: self.log) },
                        queue: queue)
    }

    /// Frame `n` of 20 ms at 16 kHz: 640 bytes, each sample its frame number and position, so order shows.
    static func frame(_ n: Int) -> Data {
        var bytes = Data(capacity: 640)
        for sample in 0..<320 {
            let value = UInt16(truncatingIfNeeded: n &* 331 &+ sample)
            bytes.append(UInt8(value & 0xFF))
            bytes.append(UInt8(value >> 8))
        }
        return bytes
    }

    /// Frames of 640 bytes that fill a chunk: the frame at or past `chunkBytes` hands it over.
    static let framesPerChunk = (SessionRecorder.chunkBytes + 639) / 640

    /// The samples the file holds once the writing queue has caught up.
    func samplesOnDisk() throws -> Data {
        queue.sync {}
        let bytes = try Data(contentsOf: file)
        return bytes.count > 44 ? bytes.subdata(in: 44..<bytes.count) : Data()
    }

    @Test func finishWritesEveryFrameInOrderWithACompleteHeader() throws {
        let recorder = recorder()
        let frames = (0..<137).map(Self.frame)  // not a whole number of chunks
        frames.forEach(recorder.append)
        let pending = DispatchGroup()
        recorder.finish(pending: pending)
        pending.wait()
        let bytes = try Data(contentsOf: file)
        #expect(bytes.prefix(44) == WAVFile.header(sampleRate: 16_000, dataByteCount: bytes.count - 44))
        let wav = try WAVFile(parsing: bytes)
        #expect(wav.sampleRate == 16_000)
        #expect(wav.pcm16 == frames.reduce(Data(), +))
    }

    @Test func framesAreGatheredIntoChunksBeforeTheyReachTheFile() throws {
        let recorder = recorder()
        let framesPerChunk = Self.framesPerChunk
        for n in 0..<(framesPerChunk - 1) { recorder.append(Self.frame(n)) }
        #expect(try samplesOnDisk().isEmpty)
        recorder.append(Self.frame(framesPerChunk - 1))
        #expect(try samplesOnDisk() == (0..<framesPerChunk).map(Self.frame).reduce(Data(), +))
    }

    /// Parking flushes: the session may be resumed on another thread, and what was heard is on disk meanwhile.
    @Test func flushHandsOverWhatIsGathered() throws {
        let recorder = recorder()
        recorder.append(Self.frame(0))
        recorder.append(Self.frame(1))
        recorder.flush()
        #expect(try samplesOnDisk() == Self.frame(0) + Self.frame(1))
        recorder.flush()  // nothing more to hand over
        #expect(try samplesOnDisk() == Self.frame(0) + Self.frame(1))
    }

    @Test func aStalledDiskStopsTheRecordingInsteadOfQueueingWithoutBound() throws {
        let recorder = recorder()
        queue.sync {}  // the file exists
        queue.suspend()
        let framesAllowed = SessionRecorder.maxQueuedBytes / 640
        let frames = (0..<(framesAllowed + 200)).map(Self.frame)
        frames.forEach(recorder.append)
        queue.resume()
        let pending = DispatchGroup()
        recorder.finish(pending: pending)
        pending.wait()
        let wav = try WAVFile(parsing: try Data(contentsOf: file))
        // As many whole chunks as the bound holds, in order; nothing after the stop, so the file has no gap.
        let chunk = Self.framesPerChunk * 640
        #expect(wav.pcm16 == frames.reduce(Data(), +).prefix(SessionRecorder.maxQueuedBytes / chunk * chunk))
        #expect(log.lines.contains { $0.level == .error && $0.message.contains("disk is too far behind") })
    }

    @Test func discardLeavesNoFile() throws {
        let recorder = recorder()
        recorder.append(Self.frame(0))
        recorder.discard()
        queue.sync {}
        #expect(!FileManager.default.fileExists(atPath: file.path))
    }
}
