import Foundation
import Logging
import Store

/// The engine: one libwebsockets server on its own service thread, serving web-static/, the JSON API and the
/// interview WebSocket.
public final class EngineServer: @unchecked Sendable {
    private let loop: ServiceLoop
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var running = false
    /// The port the server listens on (the real one when the configuration asked for 0).
    public private(set) var port = 0

    public init(configuration: ServerConfiguration, store: any EngineStore, prompts: PromptsProvider, logger: Logger) {
        loop = ServiceLoop(configuration: configuration, store: store, prompts: prompts, logger: logger)
    }

    /// Starts listening and serving on a new thread; returns once the port is open.
    public func start() throws {
        let ready = DispatchSemaphore(value: 0)
        let outcome = StartOutcome()
        let thread = Thread { [loop, finished] in
            // lws requires the context to be created and serviced on the same thread.
            do {
                outcome.result = .success(try loop.createContext())
            } catch {
                outcome.result = .failure(error)
                ready.signal()
                finished.signal()
                return
            }
            ready.signal()
            loop.serve()
            finished.signal()
        }
        thread.name = "jestry-service"
        thread.start()
        ready.wait()
        port = try outcome.result.get()
        lock.withLock { running = true }
    }

    /// Stops serving: open interviews are closed and stored, pending writes are flushed. Safe to call twice.
    public func stop() {
        let wasRunning = lock.withLock {
            defer { running = false }
            return running
        }
        guard wasRunning else { return }
        loop.requestStop()
        finished.wait()
    }

    /// Blocks until `stop()` is called from another thread.
    public func waitUntilStopped() {
        finished.wait()
        finished.signal()
    }
}

/// Hands the listening port (or the failure) from the service thread to `start()`, ordered by a semaphore.
private final class StartOutcome: @unchecked Sendable {
    var result: Result<Int, any Error> = .failure(ServerError.cannotListen(port: 0))
}
