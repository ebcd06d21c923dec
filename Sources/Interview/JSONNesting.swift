import Foundation

/// How deeply untrusted JSON nests, checked before it reaches `JSONDecoder`.
///
/// Foundation's `JSONDecoder` (swift-foundation, Swift 6.3 on Linux) traps, taking the whole process down, when its
/// own nesting limit of 512 is crossed by the very last byte of its input: 513 `[` and nothing else is enough.
/// `JSONSerialization` is not affected. No message of the protocol and no API body nests more than a few levels, so
/// anything deeper than `maxDepth` is refused with a clear error before the decoder sees it.
public enum JSONNesting {
    /// Far above any message or body the engine accepts, far below the decoder's 512.
    public static let maxDepth = 32

    /// Whether arrays and objects in `bytes` nest at most `maxDepth` deep. Brackets inside strings do not count
    /// (escapes are honoured). Invalid JSON can pass: the decoder still rejects it.
    public static func isWithinLimit(_ bytes: Data, maxDepth: Int = maxDepth) -> Bool {
        bytes.withUnsafeBytes { raw in
            var depth = 0
            var inString = false
            var escaped = false
            for byte in raw {
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    inString = true
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                    if depth > maxDepth { return false }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth -= 1
                default:
                    break
                }
            }
            return true
        }
    }
}
