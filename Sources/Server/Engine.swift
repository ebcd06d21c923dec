import Foundation
import Interview
import Logging
import Prompts
import Store

/// The one way to put an engine together, used by `jestry serve` and by every test harness: the checked prompt
/// library, the data folder and its store (closing sessions an earlier stop left open), the server on its service
/// threads, and the watcher that reloads edited prompts.
public final class Engine: @unchecked Sendable {
    public let configuration: ServerConfiguration
    public let store: any EngineStore
    public let prompts: PromptsProvider
    public let server: EngineServer
    private let watcher: PromptsWatcher?
    private let stopping = NSLock()

    /// The prompts could not be loaded; `diagnostics` lists every problem as `file:line:col: message`.
    public struct PromptsFailure: Error, CustomStringConvertible {
        public var directory: URL
        public var diagnostics: String
        public var description: String { "Prompts in \(directory.path) have problems:\n\(diagnostics)" }
    }

    /// Starts an engine. `watchPromptsEvery`: how often edited prompts are looked for (nil: never).
    public static func start(_ configuration: ServerConfiguration, logger: Logger, watchPromptsEvery: TimeInterval? = 0.5,
                             clock: @escaping @Sendable () -> ClockReading = MonotonicClock.now) throws -> Engine {
        let library: PromptLibrary
        switch PromptLibrary.load(directory: configuration.promptsDirectory) {
        case .success(let loaded): library = loaded
        case .failure(let failure): throw PromptsFailure(directory: configuration.promptsDirectory, diagnostics: "\(failure)")
        }
        try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
        let store = try StoreSelection.open(configuration)
        let abandoned = try store.closeAbandonedSessions(at: configuration.clock())
        if abandoned > 0 { logger.warning("closed sessions left open by an earlier stop", metadata: ["count": "\(abandoned)"]) }
        let prompts = PromptsProvider(library)
        let server = EngineServer(configuration: configuration, store: store, prompts: prompts, logger: logger, clock: clock)
        try server.start()
        let watcher = watchPromptsEvery.map { interval in
            let watcher = PromptsWatcher(directory: configuration.promptsDirectory, provider: prompts, logger: logger)
            watcher.start(interval: interval)
            return watcher
        }
        logger.info("prompts loaded", metadata: ["version": "\(library.version)", "tracks": "\(library.tracks.count)"])
        return Engine(configuration: configuration, store: store, prompts: prompts, server: server, watcher: watcher)
    }

    private init(configuration: ServerConfiguration, store: any EngineStore, prompts: PromptsProvider, server: EngineServer,
                 watcher: PromptsWatcher?) {
        self.configuration = configuration
        self.store = store
        self.prompts = prompts
        self.server = server
        self.watcher = watcher
    }

    /// The port it listens on.
    public var port: Int { server.port }

    /// Drains the server (`EngineServer.drain`), then stops as `stop()` does; returns once stopped.
    public func drain(seconds: Double) {
        server.drain(seconds: seconds)
        stop()
    }

    /// Stops watching prompts and stops the server (live sessions end, everything is flushed). Safe to call twice,
    /// from any thread (a drain's thread and `close` may both).
    public func stop() {
        stopping.withLock {
            watcher?.stop()
            server.stop()
        }
    }

    /// The end of the engine's life in a process (`jestry serve` calls it last): stops as `stop()` does, waits for
    /// the API work still running and its writes, then closes the store (SQLite's write-ahead log is folded into
    /// the database file). Tests that read the store after stopping call `stop()` instead.
    public func close() throws {
        stop()
        server.finishBackgroundWork()
        try store.close()
    }
}
