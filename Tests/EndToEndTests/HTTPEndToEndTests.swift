import EngineClient
import Foundation
import Testing

@Suite struct HTTPEndToEndTests {
    func errorCode(_ response: HTTPClient.Response) -> String? {
        (response.json["error"] as? [String: Any])?["code"] as? String
    }

    @Test func signUpSignInAndReadMe() throws {
        let engine = try TestEngine(trialMinutes: 0.5)
        let created = try engine.http.send("POST", "v1/accounts", body: ["name": " Ada ", "email": "Ada@Example.com",
                                                                         "password": "analytical engine", "birth_date": "1990-12-10"])
        #expect(created.status == 201)
        #expect(created.json["email"] as? String == "ada@example.com")
        #expect(created.json["balance_ms"] as? Int == 30_000)
        let login = try engine.http.send("POST", "v1/login", body: ["email": "ada@example.com", "password": "analytical engine"])
        #expect(login.status == 200)
        let token = try #require(login.json["token"] as? String)
        let cookie = try #require(login.headers["set-cookie"])
        #expect(cookie.contains("jestry_session=\(token)") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        let me = try engine.http.send("GET", "v1/me", token: token)
        #expect(me.status == 200)
        #expect(me.json["name"] as? String == "Ada")
        #expect(me.json["balance_minutes"] as? Double == 0.5)
        #expect(me.json["password_hash"] == nil)
        #expect(errorCode(try engine.http.send("POST", "v1/login", body: ["email": "ada@example.com", "password": "wrong password"])) == "invalid_credentials")
        #expect(try engine.http.send("GET", "v1/me").status == 401)
        #expect(try engine.http.send("GET", "v1/me", token: "forged").status == 401)
        #expect(errorCode(try engine.http.send("POST", "v1/accounts", body: ["name": "Ada", "email": "ada@example.com",
                                                                             "password": "analytical engine", "birth_date": "1990-12-10"])) == "email_taken")
    }

    @Test func underSixteensAreRefusedAndNothingIsStored() throws {
        let engine = try TestEngine()
        try engine.besideANormalInterview { _ in
            let year = Calendar(identifier: .gregorian).component(.year, from: Date()) - 15
            let refused = try engine.http.send("POST", "v1/accounts", body: ["name": "Kid", "email": "kid@example.com",
                                                                             "password": "a long password", "birth_date": "\(year)-01-01"])
            #expect(refused.status == 403)
            #expect(errorCode(refused) == "under_minimum_age")
            #expect(try engine.store.credentials(email: "kid@example.com") == nil)
        }
    }

    @Test func tracksAreListed() throws {
        let engine = try TestEngine()
        let tracks = try #require(try engine.http.send("GET", "v1/tracks").json["tracks"] as? [[String: Any]])
        #expect(tracks.contains { $0["id"] as? String == "behavioural" && ($0["question_count"] as? Int ?? 0) > 0 })
    }

    @Test func badRequestsGetJSONErrors() throws {
        let engine = try TestEngine()
        let badJSON = try engine.http.send("POST", "v1/accounts", body: Data("{nope".utf8))
        #expect(badJSON.status == 400)
        #expect(errorCode(badJSON) == "invalid_json")
        let missing = try engine.http.send("POST", "v1/accounts", body: ["name": "No email"])
        #expect(missing.status == 400)
        #expect(errorCode(missing) == "invalid_field")
        let unknown = try engine.http.send("GET", "v1/nowhere")
        #expect(unknown.status == 404)
        #expect(errorCode(unknown) == "not_found")
        let wrongMethod = try engine.http.send("DELETE", "v1/tracks")
        #expect(wrongMethod.status == 405)
        let huge = try engine.http.send("POST", "v1/accounts", body: Data(repeating: 0x20, count: 70_000))
        #expect(huge.status == 413)
        #expect(errorCode(huge) == "body_too_large")
        #expect(try engine.http.send("GET", "no-such-page.html").status == 404)
        #expect(try engine.http.send("GET", "../../etc/passwd").status == 404)
        #expect(try engine.http.send("GET", "v1/health").status == 200)
    }

    @Test func theWebClientIsServed() throws {
        let engine = try TestEngine()
        let page = try engine.http.send("GET", "")
        #expect(page.status == 200)
        #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
    }
}
