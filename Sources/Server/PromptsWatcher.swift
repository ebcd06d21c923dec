import Foundation
import Logging
import Prompts

/// Notices edited, added and removed files under Prompts/ and reloads the library: a good edit goes into service
/// for sessions started afterwards; a broken one keeps the last good version and logs exactly what is wrong.
public final class PromptsWatcher: @unchecked Sendable {
    private let directory: URL
    private let provider: PromptsProvider
    private let logger: Logger
    private let queue = DispatchQueue(label: "jestry.prompts-watcher")
    private var timer: DispatchSourceTimer?
    /// Touched only on `queue`.
    private var fingerprint: [String: String] = [:]

    public init(directory: URL, provider: PromptsProvider, logger: Logger) {
        self.directory = directory
        self.provider = provider
        self.logger = logger
    }

    /// Starts polling every `interval` seconds (a poll is a directory walk and a `stat` per file).
    public func start(interval: TimeInterval = 0.5) {
        queue.sync { fingerprint = Self.fingerprint(of: directory) }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.poll() }
        timer.resume()
        self.timer = timer
    }

    public func stop() {
        timer?.cancel()
        timer = nil
    }

    deinit { timer?.cancel() }

    private func poll() {
        let now = Self.fingerprint(of: directory)
        guard now != fingerprint else { return }
        fingerprint = now
        switch PromptLibrary.load(directory: directory) {
        case .success(let library):
            let previous = provider.status.version
            provider.replace(with: library)
            if library.version != previous {
                logger.info("prompts reloaded", metadata: ["version": "\(library.version)", "previous": "\(previous)"])
            }
        case .failure(let failure):
            provider.rejectEdit(failure.diagnostics)
            logger.error("prompt edit rejected; still serving the last good version",
                         metadata: ["version": "\(provider.status.version)", "problems": "\(failure.diagnostics.count)"])
            for diagnostic in failure.diagnostics {
                logger.error("\(diagnostic)")
            }
        }
    }

    /// Path → modification time and size of every file: cheap to take, and any edit changes it. Walked with
    /// `readdir` and `lstat`: Foundation's enumerator and resource values cost milliseconds per poll.
    static func fingerprint(of directory: URL) -> [String: String] {
        var result: [String: String] = [:]
        walk(directory.path, into: &result)
        return result
    }

    private static func walk(_ path: String, into result: inout [String: String]) {
        guard let handle = opendir(path) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            let child = path + "/" + name
            var info = stat()
            guard lstat(child, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: walk(child, into: &result)
            case S_IFREG: result[child] = "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)/\(info.st_size)"
            default: continue
            }
        }
    }
}
