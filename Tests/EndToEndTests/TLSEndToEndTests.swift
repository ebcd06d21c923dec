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

    @Test func httpsAndWSSWithASelfSignedCertificate() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (certificate, key) = try Self.makeCertificate(in: folder)
        let engine = try TestEngine {
            $0.tlsCertificatePath = certificate
            $0.tlsPrivateKeyPath = key
        }
        let port = engine.server.port
        let account = try engine.store.createAccount(
            NewAccount(name: "Ada", email: "ada@example.com", passwordHash: PasswordHasher(iterations: 1_000).hash("a long test password"),
                       birthDate: "1990-01-01"), trialMs: 600_000, at: Date())

        let health = try Self.https(port: port, caFile: certificate, "GET", "v1/health")
        #expect(health.hasPrefix("HTTP/2 200") || health.hasPrefix("HTTP/1.1 200"), "\(health)")
        #expect(health.contains(#"{"status":"ok","transcription":"client"}"#))

        let login = try Self.https(port: port, caFile: certificate, "POST", "v1/login",
                                   body: #"{"email":"ada@example.com","password":"a long test password"}"#)
        #expect(login.hasPrefix("HTTP/2 200") || login.hasPrefix("HTTP/1.1 200"), "\(login)")
        let cookie = try #require(login.split(whereSeparator: \.isNewline).first { $0.lowercased().hasPrefix("set-cookie:") })
        #expect(cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))

        // WSS: the interview over TLS (the client accepts the self-signed certificate).
        let token = try engine.store.issueToken(accountID: account.id, at: Date(), lifetime: 3_600)
        let client = try WebSocketClient(url: URL(string: "wss://127.0.0.1:\(port)/v1/interview")!,
                                         headers: [("Authorization", "Bearer \(token)")])
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        #expect(try client.next("question")["question_id"] as? String == "q1")

        // Plain HTTP on the TLS port gets no answer from the API.
        let plain = try ExternalTool.run(["curl", "-sS", "-m", "10", "http://127.0.0.1:\(port)/v1/health"])
        #expect(!plain.output.contains(#""status":"ok""#))
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
