import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `chromedriver --port=N` process for one test, and the headless Chromium options the tests use.
final class ChromeDriver {
    static let chromiumPath = "/usr/bin/chromium"
    static let chromedriverPath = "/usr/bin/chromedriver"

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    let process: Process
    let driver: WebDriver
    private let logFile: URL
    /// The shell's standard input; closing its write end stops chromedriver.
    private let lifeline = Pipe()

    init() async throws {
        for path in [Self.chromiumPath, Self.chromedriverPath] where !FileManager.default.isExecutableFile(atPath: path) {
            throw Missing(description: "\(path) is missing: the browser tests need Debian's chromium and chromium-driver "
                + "(`make test` installs them; or run `apt-get install -y chromium chromium-driver`).")
        }
        let port = try Self.freePort()
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-chromedriver-\(port).log")
        process = Process()
        // chromedriver is started by a small shell that waits on a pipe from this process: closing the pipe (in
        // `stop`, or by the kernel when the test process dies) makes it kill chromedriver. Signals cannot be used:
        // children of Swift's worker threads inherit a signal mask that blocks SIGTERM, so `terminate()` is ignored.
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", """
            "$0" --port="$1" --allowed-ips=127.0.0.1 --log-path="$2" </dev/null >/dev/null 2>&1 & driver=$!
            cat >/dev/null
            kill -KILL $driver 2>/dev/null; wait $driver 2>/dev/null; exit 0
            """, Self.chromedriverPath, String(port), logFile.path]
        process.standardInput = lifeline
        // Only this process may hold the pipe's write end, or closing it would not reach the shell: keep it (and
        // the read end) out of every other child process started meanwhile.
        _ = fcntl(lifeline.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        _ = fcntl(lifeline.fileHandleForReading.fileDescriptor, F_SETFD, FD_CLOEXEC)
        try process.run()
        driver = WebDriver(port: port)
        // Bounded wait until chromedriver answers /status with ready.
        for _ in 0..<200 {
            if let status = try? await driver.command("GET", "status", timeout: 2) as? [String: Any], status["ready"] as? Bool == true {
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        stop()
        throw Missing(description: "chromedriver did not start on port \(port); see \(logFile.path)")
    }

    func stop() {
        try? lifeline.fileHandleForWriting.close()
        // Bounded: the shell exits as soon as it sees the pipe close and chromedriver is gone.
        for _ in 0..<200 where process.isRunning {
            usleep(50_000)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: logFile)
    }

    /// A TCP port nobody listens on right now (the kernel's choice for port 0).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Missing(description: "socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw Missing(description: "bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw Missing(description: "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Headless Chromium with a fake microphone that plays `audioFile` in a loop, and no permission prompts.
    static func chromeArguments(audioFile: URL, width: Int, height: Int) -> [String] {
        [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            "--use-file-for-fake-audio-capture=\(audioFile.path)",
            "--autoplay-policy=no-user-gesture-required",
            "--window-size=\(width),\(height)", "--hide-scrollbars", "--lang=en-US",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        ]
    }
}
