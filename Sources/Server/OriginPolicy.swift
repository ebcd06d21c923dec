import Foundation

/// Which browser origins may open the interview WebSocket (cross-site WebSocket hijacking defence, OWASP).
///
/// A browser always sends `Origin` on a WebSocket upgrade, and a page on another site cannot forge it. Allowed:
/// - no `Origin` header at all: not a browser (the bot, native clients), which holds its own token;
/// - the server's own origins: `http(s)://localhost:PORT`, `http(s)://127.0.0.1:PORT`, `http(s)://[::1]:PORT`, and
///   the origin named by the request's own `Host` header (scheme per TLS);
/// - the configured allow-list.
/// Anything else, `Origin: null` included, is refused before the upgrade.
struct OriginPolicy: Sendable {
    let configured: Set<String>
    let tls: Bool

    init(allowedOrigins: [String], tls: Bool) {
        configured = Set(allowedOrigins.compactMap(Self.normalise))
        self.tls = tls
    }

    func allows(origin: String?, host: String?, port: Int) -> Bool {
        guard let origin else { return true }
        guard let normalised = Self.normalise(origin) else { return false }
        if configured.contains(normalised) { return true }
        return ownOrigins(host: host, port: port).contains(normalised)
    }

    func ownOrigins(host: String?, port: Int) -> Set<String> {
        var own = Set<String>()
        for name in ["localhost", "127.0.0.1", "[::1]"] {
            // Only this server can listen on its own port on the loopback interface, so both schemes are ours.
            for scheme in ["http", "https"] {
                if let origin = Self.normalise("\(scheme)://\(name):\(port)") { own.insert(origin) }
            }
        }
        if let host, !host.isEmpty, let origin = Self.normalise("\(tls ? "https" : "http")://\(host)") {
            own.insert(origin)
        }
        return own
    }

    /// `scheme://host[:port]` in lower case without a default port; nil for anything that is not an http(s)
    /// origin (`null`, paths, user info, queries).
    static func normalise(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let rawHost = components.percentEncodedHost, !rawHost.isEmpty,
              components.user == nil, components.password == nil, components.query == nil, components.fragment == nil,
              components.percentEncodedPath.isEmpty || components.percentEncodedPath == "/" else { return nil }
        var host = rawHost.lowercased()
        if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }  // IPv6 literals keep their brackets
        let defaultPort = scheme == "https" ? 443 : 80
        if let port = components.port, port != defaultPort {
            guard (1...65535).contains(port) else { return nil }
            return "\(scheme)://\(host):\(port)"
        }
        return "\(scheme)://\(host)"
    }
}
