import Audio
import Foundation
import Logging

/// Writes a consenting candidate's audio to a WAV file as it arrives, off the service thread.
///
/// The header is written first with zero sizes and completed by `finish()`; if the process dies before, the samples
/// are still there, and `repairHeaders` completes the header when the engine starts again, so that every WAV
/// reader plays them.
final class SessionRecorder: @unchecked Sendable {
    private let queue = DispatchQueue(label: "jestry.recorder")
    /// Touched only on `queue`.
    private var handle: FileHandle?
    private var bytesWritten = 0
    private let file: URL
    private let sampleRate: Int
    private let logger: Logger

    init(file: URL, sampleRate: Int, logger: Logger) {
        self.file = file
        self.sampleRate = sampleRate
        self.logger = logger
        queue.async { [self] in
            do {
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                FileManager.default.createFile(atPath: file.path, contents: WAVFile.header(sampleRate: sampleRate, dataByteCount: 0))
                handle = try FileHandle(forWritingTo: file)
                try handle?.seekToEnd()
            } catch {
                logger.error("cannot record the session", metadata: ["file": "\(file.lastPathComponent)", "error": "\(error)"])
            }
        }
    }

    func append(_ frame: Data) {
        queue.async { [self] in
            guard let handle else { return }
            do {
                try handle.write(contentsOf: frame)
                bytesWritten += frame.count
            } catch {
                logger.error("recording write failed", metadata: ["error": "\(error)"])
                self.handle = nil
            }
        }
    }

    /// Completes the header and closes the file; `pending` is left once that is done, so a stopping engine can wait
    /// for every recording without keeping the recorders.
    func finish(pending: DispatchGroup) {
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
