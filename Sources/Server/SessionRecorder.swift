import Audio
import Foundation
import Logging

/// Writes a consenting candidate's audio to a WAV file as it arrives, off the service thread.
///
/// Frames are gathered on the thread that serves the session and handed to the file a chunk at a time
/// (`chunkBytes`, half a second at 16 kHz): one write and one hand-over per frame cost the engine more than the rest
/// of the voice path together (see docs/BENCHMARKS.md, "Recording"). A crash loses the chunk being gathered (and any
/// the disk has not taken yet); parking, the end of the session and the engine's stop write them out.
///
/// The header is written first with zero sizes and completed by `finish()`; if the process dies before, the samples
/// are still there, and `repairHeaders` completes the header when the engine starts again, so that every WAV
/// reader plays them.
///
/// At most `maxQueuedBytes` wait for the disk per recording: a disk that stalls stops the recording (logged) rather
/// than growing the engine's memory with audio it cannot write.
final class SessionRecorder: @unchecked Sendable {
    /// How much audio is gathered before it goes to the file.
    static let chunkBytes = 16 * 1024
    /// How much handed-over audio may wait for the disk: 64 chunks, 32 s at 16 kHz.
    static let maxQueuedBytes = 64 * chunkBytes

    private let queue: DispatchQueue
    /// Touched only by the thread that serves the session (one at a time: a parked session is flushed first).
    private var gathered = Data()
    /// Set on that thread once the disk fell too far behind; nothing more is handed over.
    private var stopped = false
    /// Handed over, not yet written; guarded by `queuedLock`.
    private var queuedBytes = 0
    private let queuedLock = NSLock()
    /// Touched only on `queue`.
    private var handle: FileHandle?
    private var bytesWritten = 0
    private let file: URL
    private let sampleRate: Int
    private let logger: Logger

    /// `queue` writes the file (a test may hold it, as a stalled disk would).
    init(file: URL, sampleRate: Int, logger: Logger, queue: DispatchQueue = DispatchQueue(label: "jestry.recorder")) {
        self.queue = queue
        self.file = file
        self.sampleRate = sampleRate
        self.logger = logger
        gathered.reserveCapacity(Self.chunkBytes)
        queue.async { [self] in
            do {
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                // A file that cannot be created makes the open below throw, which is logged.
                _ = FileManager.default.createFile(atPath: file.path, contents: WAVFile.header(sampleRate: sampleRate, dataByteCount: 0))
                handle = try FileHandle(forWritingTo: file)
                try handle?.seekToEnd()
            } catch {
                logger.error("cannot record the session", metadata: ["file": "\(file.lastPathComponent)", "error": "\(error)"])
            }
        }
    }

    /// An accepted frame, on the thread that serves the session.
    func append(_ frame: Data) {
        guard !stopped else { return }
        gathered.append(frame)
        if gathered.count >= Self.chunkBytes { flush() }
    }

    /// Hands what has been gathered to the file: before the session is parked (another thread may resume it), and
    /// when it ends.
    func flush() {
        guard !gathered.isEmpty, !stopped else { return }
        let chunk = gathered
        gathered = Data()
        gathered.reserveCapacity(Self.chunkBytes)
        let accepted = queuedLock.withLock {
            guard queuedBytes + chunk.count <= Self.maxQueuedBytes else { return false }
            queuedBytes += chunk.count
            return true
        }
        guard accepted else {
            stopped = true
            logger.error("recording stopped: the disk is too far behind", metadata: ["queued_bytes": "\(Self.maxQueuedBytes)"])
            return
        }
        queue.async { [self] in
            defer { queuedLock.withLock { queuedBytes -= chunk.count } }
            guard let handle else { return }
            do {
                try handle.write(contentsOf: chunk)
                bytesWritten += chunk.count
            } catch {
                logger.error("recording write failed", metadata: ["error": "\(error)"])
                self.handle = nil
            }
        }
    }

    /// Writes out what is gathered, completes the header and closes the file; `pending` is left once that is done,
    /// so a stopping engine can wait for every recording without keeping the recorders.
    func finish(pending: DispatchGroup) {
        flush()
        pending.enter()
        queue.async { [self] in
            defer { pending.leave() }
            guard let handle else { return }
            do {
                try handle.seek(toOffset: 0)
                try handle.write(contentsOf: WAVFile.header(sampleRate: sampleRate, dataByteCount: bytesWritten))
                try handle.close()
            } catch {
                logger.error("could not finish the recording", metadata: ["error": "\(error)"])
            }
            self.handle = nil
        }
    }

    /// Closes and deletes the file: the session never started, so there is nothing to keep.
    func discard() {
        gathered = Data()
        stopped = true
        queue.async { [self] in
            try? handle?.close()
            handle = nil
            try? FileManager.default.removeItem(at: file)
        }
    }

    /// Completes the headers of recordings a crash left unfinished. Runs at start, before any session records.
    static func repairHeaders(in directory: URL, logger: Logger) {
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.fileSizeKey])) ?? []
        var repaired = 0
        for file in files where file.pathExtension == "wav" {
            guard let handle = try? FileHandle(forUpdating: file) else { continue }
            defer { try? handle.close() }
            guard let size = try? handle.seekToEnd(), (try? handle.seek(toOffset: 0)) != nil,
                  let header = try? handle.read(upToCount: 44),
                  let fixed = WAVFile.repairedHeader(header, fileSize: Int(size)) else { continue }
            do {
                try handle.seek(toOffset: 0)
                try handle.write(contentsOf: fixed)
                repaired += 1
            } catch {
                logger.error("could not repair a recording's header", metadata: ["file": "\(file.lastPathComponent)", "error": "\(error)"])
            }
        }
        if repaired > 0 { logger.notice("repaired recordings left unfinished by an earlier stop", metadata: ["count": "\(repaired)"]) }
    }
}
