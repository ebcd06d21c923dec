import Foundation
import Logging
import Store

/// The engine: one libwebsockets server on its own service thread, serving web-static/, the JSON API and the
/// interview WebSocket.
public final class EngineServer: @unchecked Sendable {
    private let loop: ServiceLoop
    /// Guards `running` and `finished`; broadcast when the service thread has finished.
    private let condition = NSCondition()
    private var running = false
    private var finished = false
    /// The port the server listens on (the real one when the configuration asked for 0).
    public private(set) var port = 0

    public init(configuration: ServerConfiguration, store: any EngineStore, prompts: PromptsProvider, logger: Logger) {
        loop = ServiceLoop(configuration: configuration, store: store, prompts: prompts, logger: logger)
    }

    /// Starts listening and serving on a new thread; returns once the port is open.
    public func start() throws {
        let ready = DispatchSemaphore(value: 0)
        let outcome = StartOutcome()
        let thread = Thread { [loop, self] in
            // lws requires the context to be created and serviced on the same thread.
            do {
                outcome.result = .success(try loop.createContext())
            } catch {
                outcome.result = .failure(error)
                ready.signal()
                markFinished()
                return
            }
            ready.signal()
            loop.serve()
            markFinished()
        }
        thread.name = "jestry-service"
        thread.start()
        ready.wait()
        port = try outcome.result.get()
        condition.withLock { running = true }
    }

    /// Stops serving: open interviews are closed and stored, pending writes are flushed. Safe to call twice.
    public func stop() {
        let wasRunning = condition.withLock {
            defer { running = false }
            return running
        }
        guard wasRunning else { return }  // never started, or already stopped
        loop.requestStop()
        waitUntilStopped()
    }

    /// Blocks until the server has stopped (after `stop()` from another thread). Any number of threads may wait.
    public func waitUntilStopped() {
        condition.lock()
        defer { condition.unlock() }
        while !finished { condition.wait() }
    }

    private func markFinished() {
        condition.withLock {
            finished = true
            condition.broadcast()
        }
    }
}

/// Hands the listening port (or the failure) from the service thread to `start()`, ordered by a semaphore.
private final class StartOutcome: @unchecked Sendable {
    var result: Result<Int, any Error> = .failure(ServerError.cannotListen(port: 0))
}
