import COpenSSL
import Foundation

/// PBKDF2-HMAC-SHA256 password hashing with a per-password salt.
///
/// Stored form: `pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>`, so parameters can change later and old
/// hashes still verify (and `needsRehash` tells when to upgrade one at login).
public struct PasswordHasher: Sendable {
    /// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
    public static let recommendedIterations = 600_000

    public let iterations: Int

    public init(iterations: Int = PasswordHasher.recommendedIterations) {
        self.iterations = iterations
    }

    public func hash(_ password: String) -> String {
        let salt = SecureRandom.bytes(16)
        let derived = Self.derive(password, salt: salt, iterations: iterations)
        return "pbkdf2-sha256$\(iterations)$\(salt.base64EncodedString())$\(derived.base64EncodedString())"
    }

    public func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds > 0, rounds <= Int32.max,
              let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3])) else {
            return false
        }
        return Digest.constantTimeEqual(Self.derive(password, salt: salt, iterations: rounds), expected)
    }

    public func needsRehash(_ stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        return parts.count != 4 || parts[0] != "pbkdf2-sha256" || Int(parts[1]) != iterations
    }

    static func derive(_ password: String, salt: Data, iterations: Int) -> Data {
        var out = Data(count: 32)
        let secret = Array(password.utf8)
        salt.withUnsafeBytes { saltBytes in
            out.withUnsafeMutableBytes { output in
                _ = PKCS5_PBKDF2_HMAC(secret.map { CChar(bitPattern: $0) }, Int32(secret.count),
                                      saltBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(saltBytes.count),
                                      Int32(iterations), EVP_sha256(), 32,
                                      output.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return out
    }
}
