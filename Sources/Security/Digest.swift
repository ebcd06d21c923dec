import COpenSSL
import Foundation

/// SHA-256 and HMAC-SHA256 through OpenSSL.
public enum Digest {
    public static func sha256(_ data: Data) -> Data {
        var out = Data(count: Int(SHA256_DIGEST_LENGTH))
        data.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { output in
                _ = SHA256(input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count,
                           output.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return out
    }

    public static func hmacSHA256(key: Data, message: Data) -> Data {
        var out = Data(count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                out.withUnsafeMutableBytes { output in
                    _ = HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                             messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBytes.count,
                             output.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
                }
            }
        }
        return out.prefix(Int(length))
    }

    /// Compares in time that depends only on the length, so a mismatch position never leaks.
    public static func constantTimeEqual(_ lhs: Data, _ rhs: Data) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBytes { a in
            rhs.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0 }
        }
    }
}

extension Data {
    /// Lower-case hexadecimal. Written digit by digit: `String(format:)` per byte cost the settlement batch (one
    /// identifier per ledger entry) more than its SQL.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: count * 2) { out in
            for (index, byte) in enumerated() {
                out[2 * index] = digits[Int(byte >> 4)]
                out[2 * index + 1] = digits[Int(byte & 0x0f)]
            }
            return count * 2
        }
    }

    /// URL-safe base64 without padding, for tokens.
    public var base64URLString: String {
        // Byte by byte: `replacingOccurrences` goes through NSString, and every session start makes a token.
        String(decoding: base64EncodedString().utf8.compactMap { byte -> UInt8? in
            switch byte {
            case UInt8(ascii: "+"): UInt8(ascii: "-")
            case UInt8(ascii: "/"): UInt8(ascii: "_")
            case UInt8(ascii: "="): nil
            default: byte
            }
        }, as: UTF8.self)
    }
}
