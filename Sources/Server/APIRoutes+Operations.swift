import Foundation
import Security

/// The endpoints a load balancer and an operator ask: liveness, readiness, metrics.
extension APIRoutes {
    struct ReadinessView: Encodable {
        var ready: Bool
        /// `ok`, or `unreachable` when a read did not answer.
        var database: String
        /// `loaded` (with the version in service), or `rejected_edit` when the files on disk are broken and the last
        /// good version still serves (ready either way: sessions start on the last good version).
        var prompts: String
        var promptsVersion: String
        var draining: Bool

        enum CodingKeys: String, CodingKey {
            case ready, database, prompts, draining
            case promptsVersion = "prompts_version"
        }
    }

    /// 200 when this node should get new interviews: the database answers a read, prompts are in service, and it is
    /// not draining; 503 (same body) otherwise.
    func readiness() -> HTTPResponse {
        // A primary-key read of an id no account has: it proves the database answers without touching a real row.
        let database: String
        do {
            _ = try store.account(id: "readiness-probe")
            database = "ok"
        } catch {
            database = "unreachable"
        }
        let status = prompts.status
        let draining = drain.isDraining
        let ready = database == "ok" && !draining
        return .json(ready ? 200 : 503, ReadinessView(ready: ready, database: database,
                                                       prompts: status.errors.isEmpty ? "loaded" : "rejected_edit",
                                                       promptsVersion: status.version, draining: draining))
    }

    /// `GET /metrics`: only with `Authorization: Bearer <the metrics token>`. The SHA-256 digests are compared in
    /// constant time, so neither the token's bytes nor its length leak. Without a configured token the endpoint is off.
    func metricsEndpoint(_ request: HTTPRequest) -> HTTPResponse {
        guard let expected = configuration.metricsToken, let metrics else {
            return .error(404, "metrics_disabled",
                          "Metrics are off on this node; start it with a metrics token (JESTRY_METRICS_TOKEN or --metrics-token-file).")
        }
        guard let given = Credentials.token(authorization: request.authorization, cookie: nil),
              Digest.constantTimeEqual(Digest.sha256(Data(given.utf8)), Digest.sha256(Data(expected.utf8))) else {
            var response = HTTPResponse.error(401, "unauthorized", "Send the metrics token as \"Authorization: Bearer …\".")
            response.headers.append((name: "www-authenticate:", value: "Bearer realm=\"metrics\""))
            return response
        }
        return HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                            body: Data(metrics.exposition().utf8))
    }
}
