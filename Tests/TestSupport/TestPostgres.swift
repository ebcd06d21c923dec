import Foundation
import PostgresStore

/// A real PostgreSQL server for tests, and a fresh database on it for each test that asks.
///
/// `JESTRY_TEST_POSTGRES_URL` names a server to use (a URL whose user may create databases). Without it, the first
/// test that needs one starts a private server: `initdb` in a temporary folder, `pg_ctl start` on a free loopback
/// port with no Unix socket, stopped and removed when the test process exits. The binaries come from
/// `JESTRY_POSTGRES_BIN` or Debian's `/usr/lib/postgresql/<version>/bin` (`make test` installs `postgresql`).
/// PostgreSQL refuses to run as root, so under root the server runs as the `postgres` user Debian's package creates.
public enum TestPostgres {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// A new, empty database; its URL.
    public static func freshDatabase() throws -> String {
        let server = try shared.get()
        let name = "jestry_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        try server.admin { try $0.execute("CREATE DATABASE \(name)") }
        return server.url(database: name)
    }

    /// Drops a database made by `freshDatabase`, closing whatever connections are still open on it.
    public static func drop(_ url: String) {
        guard let server = try? shared.get(), let name = url.split(separator: "/").last?.split(separator: "?").first,
              name.hasPrefix("jestry_test_") else { return }
        try? server.admin { try $0.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    }

    /// Cuts the database off (open connections ended, new ones refused) or lets it be reached again: a node that
    /// "loses the database", without stopping the server the other tests share.
    public static func setReachable(_ url: String, _ reachable: Bool) throws {
        guard let name = url.split(separator: "/").last?.split(separator: "?").first, name.hasPrefix("jestry_test_") else {
            throw Unavailable(description: "not a test database: \(url)")
        }
        try shared.get().admin { admin in
            try admin.execute("ALTER DATABASE \(name) WITH ALLOW_CONNECTIONS \(reachable)")
            if !reachable {
                try admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)'")
            }
        }
    }

    private static let shared = Result { try Server.start() }

    final class Server: @unchecked Sendable {
        let base: URLComponents
        private let lock = NSLock()
        private var adminConnection: PostgresConnection?

        init(base: URLComponents) { self.base = base }

        func url(database: String) -> String {
            var components = base
            components.path = "/\(database)"
            return components.string!
        }

        func admin(_ work: (PostgresConnection) throws -> Void) throws {
            lock.lock()
            defer { lock.unlock() }
            if adminConnection == nil || adminConnection!.isBroken {
                adminConnection = try PostgresConnection(url: url(database: "postgres"))
            }
            try work(adminConnection!)
        }

        static func start() throws -> Server {
            if let given = ProcessInfo.processInfo.environment["JESTRY_TEST_POSTGRES_URL"] {
                guard let components = URLComponents(string: given) else {
                    throw Unavailable(description: "JESTRY_TEST_POSTGRES_URL is not a URL")
                }
                return Server(base: components)
            }
            let bin = try binaries()
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-postgres-\(UUID().uuidString)")
            let data = folder.appendingPathComponent("data")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let asRoot = getuid() == 0
            let log = folder.appendingPathComponent("setup.log")
            if asRoot { try run("/bin/chown", ["postgres:postgres", folder.path], log: log) }
            try run(bin + "/initdb", ["-D", data.path, "-U", "jestry", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"],
                    asPostgres: asRoot, log: log)
            let port = try freePort()
            // Loopback only, no Unix socket, its own port; fsync off because this data is thrown away at exit.
            let options = "-p \(port) -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off " +
                "-c max_connections=300"
            try run(bin + "/pg_ctl", ["-D", data.path, "-o", options, "-l", folder.appendingPathComponent("server.log").path,
                                      "-w", "-t", "60", "start"], asPostgres: asRoot, log: log)
            stopAtExit = {
                try? run(bin + "/pg_ctl", ["-D", data.path, "-m", "immediate", "-w", "stop"], asPostgres: asRoot, log: log)
                try? FileManager.default.removeItem(at: folder)
            }
            atexit { TestPostgres.stopAtExit?() }
            return Server(base: URLComponents(string: "postgres://jestry@127.0.0.1:\(port)/postgres")!)
        }

        static func binaries() throws -> String {
            if let bin = ProcessInfo.processInfo.environment["JESTRY_POSTGRES_BIN"] { return bin }
            let root = "/usr/lib/postgresql"
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
            guard let newest = versions.last, FileManager.default.isExecutableFile(atPath: "\(root)/\(newest)/bin/initdb") else {
                throw Unavailable(description: "no PostgreSQL server binaries in \(root): run `make test` (it installs " +
                                  "Debian's postgresql), or set JESTRY_TEST_POSTGRES_URL")
            }
            return "\(root)/\(newest)/bin"
        }

        /// Runs a tool to its end, its output appended to `log`. posix_spawn rather than `Process`: the server that
        /// `pg_ctl start` leaves running would inherit the socket `Process` watches for its child's exit, and the
        /// wait would never end.
        static func run(_ tool: String, _ arguments: [String], asPostgres: Bool = false, log: URL) throws {
            let argv = asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", tool] + arguments : [tool] + arguments
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            // Nothing else of this process (an engine's listening socket) goes on living in the server.
            for descriptor in 3..<Int32(1_024) {
                let flags = fcntl(descriptor, F_GETFD)
                if flags != -1 && flags & FD_CLOEXEC == 0 { posix_spawn_file_actions_addclose(&actions, descriptor) }
            }
            let cArguments = argv.map { strdup($0) } + [nil]
            defer { cArguments.forEach { free($0) } }
            var pid: pid_t = 0
            guard posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ) == 0 else {
                throw Unavailable(description: "could not start \(argv[0])")
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            guard status == 0 else {
                let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                throw Unavailable(description: "\(tool) \(arguments.joined(separator: " ")) failed:\n\(output.suffix(2_000))")
            }
        }

        static func freePort() throws -> Int {
            let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
                }
            }
            guard bound else { throw Unavailable(description: "no free port for PostgreSQL") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }

    nonisolated(unsafe) static var stopAtExit: (() -> Void)?
}
