import Foundation

/// One `Range: bytes=…` request (RFC 9110 §14.1.2): `first-last`, `first-` or the last `-n` bytes.
///
/// Only single ranges are honoured; anything else (several ranges, another unit, bad syntax) is ignored, which
/// RFC 9110 allows: the whole file is then served with 200.
struct ByteRange: Equatable, Sendable {
    enum Form: Equatable, Sendable {
        case from(Int64, through: Int64?)
        case suffix(Int64)
    }
    var form: Form

    static func parse(_ header: String?) -> ByteRange? {
        guard let header else { return nil }
        let value = header.trimmingCharacters(in: .whitespaces)
        guard value.lowercased().hasPrefix("bytes="), value.utf8.count <= 100 else { return nil }
        let spec = value.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        func number(_ text: String) -> Int64? { text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber) ? Int64(text) : nil }
        if first.isEmpty {
            guard let count = number(last), count > 0 else { return nil }
            return ByteRange(form: .suffix(count))
        }
        guard let start = number(first) else { return nil }
        if last.isEmpty { return ByteRange(form: .from(start, through: nil)) }
        guard let end = number(last), end >= start else { return nil }
        return ByteRange(form: .from(start, through: end))
    }

    /// The bytes to send from a file of `size` bytes, at most `maxLength` of them (a client asking for `first-`
    /// gets the next `maxLength` and asks again); nil when the range is not satisfiable (416).
    func resolved(size: Int64, maxLength: Int64) -> ClosedRange<Int64>? {
        guard size > 0 else { return nil }
        let start: Int64
        var end: Int64
        switch form {
        case .from(let first, let last):
            guard first < size else { return nil }
            start = first
            end = min(last ?? (size - 1), size - 1)
        case .suffix(let count):
            start = max(0, size - count)
            end = size - 1
        }
        end = min(end, start + maxLength - 1)
        return start...end
    }
}
