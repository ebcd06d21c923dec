import Foundation
import Interview
import Logging
import Store

/// The engine: one libwebsockets context per service thread (one per core by default), all on the same port,
/// serving web-static/, the JSON API and the interview WebSocket.
public final class EngineServer: @unchecked Sendable {
    private let services: EngineServices
    private var loops: [ServiceLoop] = []
    /// Guards `running` and `finished`; broadcast when every service thread has finished.
    private let condition = NSCondition()
    private var running = false
    private var threadsLeft = 0
    /// The port the server listens on (the real one when the configuration asked for 0).
    public private(set) var port = 0

    /// `clock` is the monotonic clock the interviews run on (tests may inject one).
    public init(configuration: ServerConfiguration, store: any EngineStore, prompts: PromptsProvider, logger: Logger,
                clock: @escaping @Sendable () -> ClockReading = MonotonicClock.now) {
        services = EngineServices(configuration: configuration, store: store, prompts: prompts, logger: logger, clock: clock)
    }

    /// Starts the service threads; returns once the port is open on all of them.
    public func start() throws {
        let configuration = services.configuration
        LWSLogBridge.install()
        SessionRecorder.repairHeaders(in: RecordingFiles.directory(dataDirectory: configuration.dataDirectory), logger: services.logger)
        let count = max(1, configuration.serviceThreads)
        var listenPort = configuration.port
        for index in 0..<count {
            let loop = ServiceLoop(services: services, index: index)
            // The first context picks the port (0: any free one); the others share it.
            listenPort = try start(loop, port: listenPort)
            loops.append(loop)
        }
        port = listenPort
        condition.withLock { running = true }
        services.logger.info("service threads started", metadata: ["threads": "\(count)", "port": "\(port)"])
    }

    private func start(_ loop: ServiceLoop, port: Int) throws -> Int {
        let ready = DispatchSemaphore(value: 0)
        let outcome = StartOutcome()
        condition.withLock { threadsLeft += 1 }
        let thread = Thread { [self] in
            // Named from inside: on Linux a name given before `start` never reaches the kernel. At most 15
            // characters, or the kernel refuses it; `top -H`, perf and /proc then tell the service threads apart.
            Thread.current.name = "jestry-svc-\(loop.index)"
            // lws requires the context to be created and serviced on the same thread.
            do {
                outcome.result = .success(try loop.createContext(port: port))
            } catch {
                outcome.result = .failure(error)
                ready.signal()
                threadFinished()
                return
            }
            ready.signal()
            loop.serve()
            threadFinished()
        }
        thread.start()
        ready.wait()
        do {
            return try outcome.result.get()
        } catch {
            loops.forEach { $0.requestStop() }
            throw error
        }
    }

    /// Stops serving: open interviews are closed and stored, recordings and pending writes are flushed. Safe to
    /// call twice.
    public func stop() {
        let wasRunning = condition.withLock {
            defer { running = false }
            return running
        }
        guard wasRunning else { return }  // never started, or already stopped
        loops.forEach { $0.requestStop() }
        waitUntilStopped()
    }

    /// What the engine counts (`GET /metrics`).
    public var metrics: EngineMetrics { services.metrics }

    /// Whether the engine drains (`GET /v1/ready` reports it).
    public var isDraining: Bool { services.drain.isDraining }

    /// Drains, then stops: readiness turns false, new interview connections get 503 `server_draining`, connections
    /// without a session are sent away, and live interviews go on until they end or `seconds` pass, when each ends
    /// with `server_restarting`. Returns once stopped (at once when `stop()` is called meanwhile, e.g. on a second
    /// SIGTERM). Minutes are settled and recordings flushed by the stop, as always.
    public func drain(seconds: Double) {
        let deadlineMs = services.clock().monotonicMs + Int64(seconds * 1000)
        guard condition.withLock({ running }), services.drain.begin(deadlineMs: deadlineMs) else { return }
        services.logger.notice("draining: no new interviews; live ones end by the deadline",
                               metadata: ["seconds": "\(seconds)"])
        loops.forEach { $0.beginDrain(until: deadlineMs) }
        // The machines end their sessions at the deadline; a little more lets those last events reach the clients.
        let idle = services.drain.waitUntilIdle(threads: loops.count, limit: Date().addingTimeInterval(seconds + 5)) {
            condition.withLock { running }
        }
        services.logger.notice(idle ? "drained: no live interviews left" : "drain ended; stopping")
        stop()
    }

    /// After `stop()`: waits for API requests still running on the worker queue, then for every write they queued.
    public func finishBackgroundWork() {
        services.workers.sync(flags: .barrier) {}
        services.storeWriter.sync {}
    }

    /// Blocks until the server has stopped (after `stop()` from another thread). Any number of threads may wait.
    public func waitUntilStopped() {
        condition.lock()
        defer { condition.unlock() }
        while threadsLeft > 0 { condition.wait() }
    }

    private func threadFinished() {
        condition.withLock {
            threadsLeft -= 1
            condition.broadcast()
        }
    }
}

/// Hands the listening port (or the failure) from the service thread to `start()`, ordered by a semaphore.
private final class StartOutcome: @unchecked Sendable {
    var result: Result<Int, any Error> = .failure(ServerError.cannotListen(port: 0))
}
