import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small blocking JSON-over-HTTP client for the engine's API, used by bots and tests.
public struct HTTPClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var body: Data
        public var headers: [String: String]

        /// The body as a JSON object (empty when it is not one).
        public var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }
    }

    public enum ClientError: Error, CustomStringConvertible {
        case transport(String)
        public var description: String {
            switch self {
            case .transport(let message): "HTTP request failed: \(message)"
            }
        }
    }

    public let baseURL: URL

    public init(baseURL: URL) {
        self.baseURL = baseURL
    }

    /// Sends a request; `body` is encoded as JSON when it is a dictionary, sent as is when it is `Data`.
    public func send(_ method: String, _ path: String, body: Any? = nil, token: String? = nil,
                     headers: [String: String] = [:], timeout: TimeInterval = 30) throws -> Response {
        var request = URLRequest(url: baseURL.appendingPathComponent(path), timeoutInterval: timeout)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let data = body as? Data {
            request.httpBody = data
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(.transport("\(error.localizedDescription)"))
            } else if let http = response as? HTTPURLResponse {
                var headers: [String: String] = [:]
                for (name, value) in http.allHeaderFields {
                    headers["\(name)".lowercased()] = "\(value)"
                }
                box.result = .success(Response(status: http.statusCode, body: data ?? Data(), headers: headers))
            } else {
                box.result = .failure(.transport("no HTTP response"))
            }
            done.signal()
        }
        task.resume()
        done.wait()
        return try box.result.get()
    }

    /// Signs in and returns the bearer token.
    public func login(email: String, password: String) throws -> String? {
        let response = try send("POST", "v1/login", body: ["email": email, "password": password])
        return response.status == 200 ? response.json["token"] as? String : nil
    }
}

private final class ResultBox: @unchecked Sendable {
    var result: Result<HTTPClient.Response, HTTPClient.ClientError> = .failure(.transport("no answer"))
}
