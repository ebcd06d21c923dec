import EngineClient
import Foundation
import Security
import Store
import Testing
import TestSupport

/// `--tls-cert`/`--tls-key`: HTTPS and WSS on one port, with a self-signed certificate made for the test by the
/// `openssl` command, and the same tool as the HTTPS client (it verifies the server against that certificate).
@Suite struct TLSEndToEndTests {
    /// A certificate for 127.0.0.1 and localhost, valid for a day.
    static func makeCertificate(in folder: URL) throws -> (certificate: String, key: String) {
        let certificate = folder.appendingPathComponent("cert.pem").path
        let key = folder.appendingPathComponent("key.pem").path
        let made = try ExternalTool.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                 "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=localhost",
                                 "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        #expect(made.status == 0, "openssl req failed: \(made.output)")
        return (certificate, key)
    }

    /// One HTTPS request through `curl`, which fails unless the server proves it holds the test's certificate.
    static func https(port: Int, caFile: String, _ method: String, _ path: String, body: String? = nil) throws -> String {
        var arguments = ["curl", "-sS", "-i", "-m", "20", "--cacert", caFile, "-X", method]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        return try ExternalTool.run(arguments + ["https://127.0.0.1:\(port)/\(path)"]).output
    }

    /// An engine serving TLS only, with its certificate in a folder of its own and one account (Ada's).
    final class TLSEngine {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-tls-\(UUID().uuidString)")
        let certificate: String
        let engine: TestEngine
        let account: Account

        init() throws {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let (certificate, key) = try TLSEndToEndTests.makeCertificate(in: folder)
            self.certificate = certificate
            engine = try TestEngine {
                $0.tlsCertificatePath = certificate
                $0.tlsPrivateKeyPath = key
            }
            account = try engine.store.createAccount(
                NewAccount(name: "Ada", email: "ada@example.com",
                           passwordHash: PasswordHasher(iterations: 1_000).hash("a long test password"), birthDate: "1990-01-01"),
                trialMs: 600_000, at: Date())
        }

        deinit { try? FileManager.default.removeItem(at: folder) }

        func token() throws -> String { try engine.store.issueToken(accountID: account.id, at: Date(), lifetime: 3_600) }
    }

    @Test func httpsAndWSSWithASelfSignedCertificate() throws {
        let tls = try TLSEngine()
        let (engine, certificate) = (tls.engine, tls.certificate)
        let port = engine.server.port

        let health = try Self.https(port: port, caFile: certificate, "GET", "v1/health")
        #expect(health.hasPrefix("HTTP/2 200") || health.hasPrefix("HTTP/1.1 200"), "\(health)")
        #expect(health.contains(#"{"status":"ok","transcription":"client"}"#))

        let login = try Self.https(port: port, caFile: certificate, "POST", "v1/login",
                                   body: #"{"email":"ada@example.com","password":"a long test password"}"#)
        #expect(login.hasPrefix("HTTP/2 200") || login.hasPrefix("HTTP/1.1 200"), "\(login)")
        let cookie = try #require(login.split(whereSeparator: \.isNewline).first { $0.lowercased().hasPrefix("set-cookie:") })
        #expect(cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))

        // WSS: the interview over TLS (the client accepts the self-signed certificate).
        let token = try tls.token()
        let client = try WebSocketClient(url: URL(string: "wss://127.0.0.1:\(port)/v1/interview")!,
                                         headers: [("Authorization", "Bearer \(token)")])
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        #expect(try client.next("question")["question_id"] as? String == "q1")

        // Plain HTTP on the TLS port gets no answer from the API.
        let plain = try ExternalTool.run(["curl", "-sS", "-m", "10", "http://127.0.0.1:\(port)/v1/health"])
        #expect(!plain.output.contains(#""status":"ok""#))
    }

    /// A client over TLS that sends an unmasked frame (Python's `ssl`, since no WebSocket library breaks the rule):
    /// prints each frame the server sends as "text" or "close CODE", until the close.
    static let unmaskedOverTLS = #"""
    import socket, ssl, sys
    port, token, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    s = ssl.create_default_context(cafile=ca).wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    s.sendall(("GET /v1/interview HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Authorization: Bearer " + token + "\r\n\r\n").encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += s.recv(1)
    print(head.split(b"\r\n")[0].decode())
    payload = b'{"type":"session.start","track":"behavioural"}'
    s.sendall(bytes([0x81, len(payload)]) + payload)
    s.settimeout(10)
    data = b""
    while True:
        while len(data) >= 2 and len(data) >= 2 + (data[1] & 0x7f):
            opcode, length = data[0] & 0x0f, data[1] & 0x7f
            body, data = data[2:2 + length], data[2 + length:]
            print("close %d" % (body[0] << 8 | body[1]) if opcode == 8 else "text")
            if opcode == 8:
                sys.exit(0)
        chunk = s.recv(65536)
        if not chunk:
            sys.exit(1)
        data += chunk
    """#

    @Test func anUnmaskedFrameOverTLSClosesTheConnectionWith1002() throws {
        let tls = try TLSEngine()
        let (port, token) = (tls.engine.server.port, try tls.token())
        let run = try ExternalTool.run(["python3", "-c", Self.unmaskedOverTLS, "\(port)", token, tls.certificate])
        // The unmasked session.start is never read: no question, only the close.
        #expect(run.output.split(whereSeparator: \.isNewline) == ["HTTP/1.1 101 Switching Protocols", "close 1002"], "\(run.output)")
    }
}

/// Runs a command-line tool found on PATH and returns its exit status and output.
enum ExternalTool {
    @discardableResult
    static func run(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe()
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        let output = PipeReading.toEnd(out.fileHandleForReading)
        try? inPipe.fileHandleForWriting.close()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
