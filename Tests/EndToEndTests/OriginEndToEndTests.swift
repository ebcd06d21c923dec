import EngineClient
import Foundation
import Testing

/// The interview upgrade checks `Origin` (cross-site WebSocket hijacking) before the token and before accepting.
@Suite struct OriginEndToEndTests {
    func upgrade(_ engine: TestEngine, _ headers: [String]) throws -> (status: Int?, body: String) {
        let response = try RawHTTP.upgrade(port: engine.server.port, headers: headers)
        return (RawHTTP.status(response), response)
    }

    @Test func foreignOriginsAreRefusedBeforeTheUpgradeEvenWithAValidToken() throws {
        let engine = try TestEngine { $0.allowedOrigins = ["https://app.example.com"] }
        try engine.besideANormalInterview { _ in
            let token = try engine.signUp()
            let port = engine.server.port
            let auth = "Authorization: Bearer \(token)"

            for origin in ["https://evil.example", "http://127.0.0.1:\(port + 1)", "null", "https://app.example.com.evil.example",
                           "http://app.example.com", "file://", "https://app.example.com/path"] {
                let refused = try upgrade(engine, [auth, "Origin: \(origin)"])
                #expect(refused.status == 403, "Origin \(origin)")
                #expect(refused.body.contains(#""code":"origin_not_allowed""#))
            }
            // The cookie does not help a foreign page either.
            #expect(try upgrade(engine, ["Cookie: jestry_session=\(token)", "Origin: https://evil.example"]).status == 403)

            for origin in ["http://127.0.0.1:\(port)", "http://localhost:\(port)", "https://app.example.com",
                           "HTTPS://APP.example.com:443"] {
                #expect(try upgrade(engine, [auth, "Origin: \(origin)"]).status == 101, "Origin \(origin)")
            }
            // No Origin at all: not a browser (bots, native clients); the token still decides.
            #expect(try upgrade(engine, [auth]).status == 101)
            #expect(try upgrade(engine, []).status == 401)
            #expect(try upgrade(engine, ["Origin: http://127.0.0.1:\(port)"]).status == 401)
        }
    }

    @Test func theHostHeadersOwnOriginIsAllowedByDefault() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        let port = engine.server.port
        let response = try RawHTTP.exchange(port: port, [
            "GET /v1/interview HTTP/1.1", "Host: jestry.example:\(port)", "Connection: Upgrade", "Upgrade: websocket",
            "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Authorization: Bearer \(token)",
            "Origin: http://jestry.example:\(port)",
        ].joined(separator: "\r\n") + "\r\n\r\n")
        #expect(RawHTTP.status(response) == 101)
        // The bot's client sends the server's own origin and is let in.
        try engine.connect(token: token).shutdown()
    }

    @Test func cookieRequestsFromForeignPagesCannotChangeAnything() throws {
        let engine = try TestEngine()
        try engine.besideANormalInterview { _ in
            let token = try engine.signUp("ada@example.com")
            let cookie = ["Cookie": "jestry_session=\(token)"]
            var foreign = cookie
            foreign["Origin"] = "https://evil.example"
            let refused = try engine.http.send("POST", "v1/logout", headers: foreign)
            #expect(refused.status == 403 && refused.errorCode == "origin_not_allowed")
            #expect(try engine.http.send("GET", "v1/me", headers: foreign).status == 200, "reading is not a change")
            var own = cookie
            own["Origin"] = "http://127.0.0.1:\(engine.server.port)"
            #expect(try engine.http.send("PATCH", "v1/me", body: ["name": "Ada"], headers: own).status == 200)
            // A bearer token is never sent by a browser on its own, so no Origin check applies to it.
            #expect(try engine.http.send("POST", "v1/logout", token: token, headers: ["Origin": "https://evil.example"]).status == 200)
        }
    }
}
