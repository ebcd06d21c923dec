import EngineClient
import Foundation

/// Accounts for load candidates over the HTTP API, the way a person gets one: sign up, then sign in.
///
/// The engine limits sign-ups per address (10 at once, then one every 6 minutes), so this serves small runs; larger
/// ones use tokens written into the store before the server starts (`jestry bench load-accounts`).
public enum LoadSignUp {
    public static let password = "load test candidate password"

    /// Signs up and signs in `count` new candidates with distinct emails, one after another.
    public static func signIns(count: Int, api: HTTPClient) -> [LoadRun.SignIn] {
        let run = UUID().uuidString.prefix(8).lowercased()
        return (0..<count).map { index in
            let email = "load-\(run)-\(index)@example.com"
            do {
                let created = try api.send("POST", "v1/accounts", body: [
                    "name": "Load candidate \(index)", "email": email, "password": password, "birth_date": "1990-01-01",
                ])
                guard created.status == 201 else { return .failed("sign-up HTTP \(created.status)") }
                let login = try api.send("POST", "v1/login", body: ["email": email, "password": password])
                guard login.status == 200, let token = login.json["token"] as? String else {
                    return .failed("sign-in HTTP \(login.status)")
                }
                return .token(token)
            } catch {
                return .failed("\(error)")
            }
        }
    }
}
