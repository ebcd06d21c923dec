/// Writes JSON text into bytes, value by value, with no `Encoder` in between.
///
/// The events a live session sends most often (`feedback.live`, billing, speech, turns, transcripts, errors) are
/// written with it directly (`ServerMessage.encoded()`), and `JSONStreamEncoder` writes every string, number and
/// comma through it, so both give the same bytes for the same values:
/// - strings escape `"`, `\`, `\n`, `\r`, `\t` and other control characters (`\u00XX`); everything else, non-ASCII
///   included, is written as its UTF-8 bytes;
/// - whole doubles below 1e15 in magnitude are written without ".0" (as `JSONEncoder` writes them), others as Swift
///   prints them (`0.5`, `1e-07`); non-finite doubles are refused;
/// - `[String: Int]` objects are written in sorted key order, so the bytes never depend on hash order.
///
/// Commas are placed by the writer: call `key(_:)` before each value of an object, and write array elements one
/// after another. It does not check that objects and arrays are balanced; its callers write fixed shapes.
struct JSONWriter {
    /// A double that JSON cannot represent (NaN or an infinity).
    struct NonFiniteNumber: Error {
        let value: Double
    }

    private(set) var bytes: [UInt8] = []
    /// Whether the next key or array element needs a comma before it: something was written since the object or
    /// array opened, and the last thing written was not a key.
    private var needsComma = false

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A key the program spells out, written as it is: it must need no escaping.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { appendEscaped($0) }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        literal(value ? "true" : "false")
    }

    mutating func null() {
        literal("null")
    }

    mutating func int(_ value: Int) { int(Int64(value)) }

    mutating func int(_ value: Int?) {
        if let value { int(value) } else { null() }
    }

    /// The decimal digits, as `String(value)` writes them.
    mutating func int(_ value: Int64) {
        separate()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(of: value.magnitude)
        needsComma = true
    }

    mutating func int(_ value: UInt64) {
        separate()
        appendDigits(of: value)
        needsComma = true
    }

    mutating func double(_ value: Double) throws(NonFiniteNumber) {
        guard value.isFinite else { throw NonFiniteNumber(value: value) }
        if value == value.rounded(), abs(value) < 1e15 {
            int(Int64(value))
        } else {
            separate()
            var text = "\(value)"
            text.withUTF8 { bytes.append(contentsOf: $0) }
            needsComma = true
        }
    }

    /// An object of the dictionary's entries in sorted key order.
    mutating func object(_ dictionary: [String: Int]) {
        beginObject()
        for (key, value) in dictionary.sorted(by: { $0.key < $1.key }) {
            dataKey(key)
            int(value)
        }
        endObject()
    }

    /// A key from data (a dictionary's), escaped like any string. (Not an overload of `key(_:)`: a literal would
    /// pick the `String` one.)
    mutating func dataKey(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// The bytes of a JSON value that are not a string, number or container.
    private mutating func literal(_ text: StaticString) {
        separate()
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        needsComma = true
    }

    private mutating func appendDigits(of magnitude: UInt64) {
        var magnitude = magnitude
        // Digits come out last first; UInt64.max has 20 of them.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            bytes.append(contentsOf: UnsafeMutableBufferPointer(rebasing: digits[start...]))
        }
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// Copies runs of bytes that need no escape in one go; most strings are a single run.
    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in utf8.indices {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            runStart = index + 1
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            default:
                let hex: StaticString = "0123456789abcdef"
                let hexDigits = hex.utf8Start
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0f)]])
            }
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
    }
}
