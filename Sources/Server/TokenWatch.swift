import Foundation
import Store

/// The token each interview connection was opened with, so a long interview can re-check it: a logout, "log out
/// everywhere", an expiry or a deleted account ends the connection within `tokenRecheckInterval`.
///
/// Service thread only. Tokens are held in memory for the life of their connection, never written anywhere.
final class TokenWatch {
    private var tokens: [OpaquePointer: String] = [:]
    var lastCheckMs: Int64 = 0
    var checkInFlight = false

    /// Called before the upgrade completes; a reused `wsi` simply gets the new token.
    func opened(_ wsi: OpaquePointer, token: String) { tokens[wsi] = token }

    func token(for wsi: OpaquePointer) -> String? { tokens[wsi] }

    /// Forgets connections that are gone (or were refused after the check).
    func prune(keeping live: some Collection<OpaquePointer>) {
        let keep = Set(live)
        tokens = tokens.filter { keep.contains($0.key) }
    }
}

/// The sign-in one interview connection is checked with, handed to a worker thread.
struct TokenCheck: Sendable {
    var connection: ObjectIdentifier
    var signIn: SignIn
}

/// C strings libwebsockets keeps pointers to for as long as the context lives (the TLS file paths), retained for
/// the life of the process: a handful of short strings, one per distinct path.
enum TLSFiles {
    nonisolated(unsafe) private static var retainedPaths: [String: UnsafeMutablePointer<CChar>] = [:]
    private static let lock = NSLock()

    static func retained(_ path: String) -> UnsafePointer<CChar> {
        lock.withLock {
            if let existing = retainedPaths[path] { return UnsafePointer(existing) }
            let copy = strdup(path)!
            retainedPaths[path] = copy
            return UnsafePointer(copy)
        }
    }
}
