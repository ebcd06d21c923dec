import COpenSSL
import Foundation

/// Random bytes from OpenSSL's CSPRNG.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> Data {
        var out = Data(count: count)
        let status = out.withUnsafeMutableBytes { RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) }
        // RAND_bytes fails only when the system has no entropy source; continuing would hand out guessable tokens.
        precondition(status == 1, "OpenSSL RAND_bytes failed: no secure randomness available")
        return out
    }

    /// A 256-bit bearer token, URL-safe.
    public static func token() -> String { bytes(32).base64URLString }

    /// A random identifier for sessions and accounts (128 bits, hexadecimal).
    public static func identifier() -> String { bytes(16).hexString }
}
