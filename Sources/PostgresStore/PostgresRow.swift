import Foundation

/// One result row in text format, read by column name.
public struct PostgresRow {
    let columns: [String: Int]
    let values: [String?]

    /// The column's value decoded as `T`; an optional `T` reads NULL as nil, any other type throws on it.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns[column] else { throw PostgresDecodingError(column: column, value: nil) }
        return try T.decode(values[index], column: column)
    }

    /// Every value as the server's text, in column order, for tests that look at what is stored.
    public var texts: [String?] { values }
    public var columnNames: [String] { columns.sorted { $0.value < $1.value }.map(\.key) }
}

public struct PostgresDecodingError: Error, CustomStringConvertible {
    public var column: String
    public var value: String?
    public var description: String { "column \(column): cannot read \(value.map { "\"\($0)\"" } ?? "NULL")" }
}

/// A value sent as a text parameter (nil for NULL).
public protocol PostgresBindable {
    var postgresText: String? { get }
}

/// A value read from a text result.
public protocol PostgresDecodable {
    static func decode(_ text: String?, column: String) throws -> Self
}

extension PostgresDecodable {
    static func parse(_ text: String?, column: String, _ parse: (String) -> Self?) throws -> Self {
        guard let text, let value = parse(text) else { throw PostgresDecodingError(column: column, value: text) }
        return value
    }
}

extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    public var postgresText: String? { self?.postgresText }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ text: String?, column: String) throws -> Self {
        guard let text else { return nil }
        return try Wrapped.decode(text, column: column)
    }
}

extension String: PostgresBindable, PostgresDecodable {
    public var postgresText: String? { self }
    public static func decode(_ text: String?, column: String) throws -> String { try parse(text, column: column) { $0 } }
}

extension Int64: PostgresBindable, PostgresDecodable {
    public var postgresText: String? { String(self) }
    public static func decode(_ text: String?, column: String) throws -> Int64 { try parse(text, column: column) { Int64($0) } }
}

extension Int: PostgresBindable, PostgresDecodable {
    public var postgresText: String? { String(self) }
    public static func decode(_ text: String?, column: String) throws -> Int { try parse(text, column: column) { Int($0) } }
}

extension Bool: PostgresBindable, PostgresDecodable {
    public var postgresText: String? { self ? "true" : "false" }
    public static func decode(_ text: String?, column: String) throws -> Bool {
        try parse(text, column: column) { $0 == "t" ? true : $0 == "f" ? false : nil }
    }
}

/// `bytea` in its hex form, `\x0a1b…`.
extension Data: PostgresBindable, PostgresDecodable {
    public var postgresText: String? { "\\x" + map { String(format: "%02x", $0) }.joined() }
    public static func decode(_ text: String?, column: String) throws -> Data {
        try parse(text, column: column) { text in
            guard text.hasPrefix("\\x"), text.count % 2 == 0 else { return nil }
            var data = Data(capacity: text.count / 2 - 1)
            var index = text.index(text.startIndex, offsetBy: 2)
            while index < text.endIndex {
                let next = text.index(index, offsetBy: 2)
                guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
                data.append(byte)
                index = next
            }
            return data
        }
    }
}

/// `timestamptz` as ISO text in UTC (the connection sets the time zone), to the microsecond.
extension Date: PostgresBindable, PostgresDecodable {
    public var postgresText: String? {
        let micros = (timeIntervalSince1970 * 1_000_000).rounded()
        var seconds = time_t((micros / 1_000_000).rounded(.down))
        let fraction = Int(micros - Double(seconds) * 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", parts.tm_year + 1900, parts.tm_mon + 1,
                      parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, fraction)
    }

    public static func decode(_ text: String?, column: String) throws -> Date {
        try parse(text, column: column) { text in
            // "2027-01-15 08:00:00+00" or "2027-01-15 08:00:00.123456+00"
            guard text.hasSuffix("+00") else { return nil }
            let body = text.dropLast(3)
            let halves = body.split(separator: ".", maxSplits: 1)
            let fields = halves[0].split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" }).compactMap { Int32($0) }
            guard fields.count == 6 else { return nil }
            var parts = tm()
            parts.tm_year = fields[0] - 1900
            parts.tm_mon = fields[1] - 1
            parts.tm_mday = fields[2]
            parts.tm_hour = fields[3]
            parts.tm_min = fields[4]
            parts.tm_sec = fields[5]
            var micros = 0.0
            if halves.count == 2 {
                let digits = halves[1].prefix(6)
                guard let value = Double(digits) else { return nil }
                micros = value * pow(10, Double(6 - digits.count))
            }
            return Date(timeIntervalSince1970: Double(timegm(&parts)) + micros / 1_000_000)
        }
    }
}
