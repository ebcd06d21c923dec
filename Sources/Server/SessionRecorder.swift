import Audio
import Foundation
import Logging

/// Writes a consenting candidate's audio to a WAV file as it arrives, off the service thread.
///
/// The header is written first with zero sizes and completed by `finish()`; if the process dies before, the samples
/// are still there and readers that take what follows the header (as `WAVFile` does) can play them.
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

    /// Completes the header and closes the file.
    func finish() {
        queue.async { [self] in
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

    /// Waits for pending writes (tests, shutdown).
    func flush() { queue.sync {} }
}
