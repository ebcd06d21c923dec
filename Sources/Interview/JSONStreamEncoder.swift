import Foundation

/// Encodes a value's `Encodable` conformance straight into JSON bytes, in one pass.
///
/// `JSONEncoder` first builds a tree of every value and then serialises it; for the events a live session sends
/// several times a second (live feedback, billing) that tree was most of the cost of sending them. This encoder
/// writes each field as it is encoded instead: objects keep the order in which their fields are encoded (the
/// declaration order for synthesised conformances), and dictionaries with `String` keys are written in sorted key
/// order, so the same value always gives the same bytes. Optionals encoded with `encodeIfPresent` are left out, as
/// `JSONEncoder` does; `encodeNil` writes `null`; non-finite numbers throw.
///
/// Containers are closed lazily: a container stays open until something is written through an enclosing container
/// (or the encoding ends), which is when a synthesised conformance is done with it. Asking the same encoder for a
/// keyed container twice continues the same object, as `JSONEncoder` merges them.
public enum JSONStreamEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let output = JSONOutput()
        try output.encode(value, depth: 0, codingPath: [])
        output.close(downTo: 0)
        return Data(output.bytes)
    }
}

/// The bytes written so far and the containers still open, innermost last. Strings, numbers and commas are written
/// by a `JSONWriter`, so they are the same bytes as the events written with it directly.
private final class JSONOutput {
    enum Kind { case object, array }

    var writer = JSONWriter(capacity: 256)
    var open: [Kind] = []

    var bytes: [UInt8] { writer.bytes }

    /// Closes every container at index `depth` and deeper.
    func close(downTo depth: Int) {
        while open.count > depth {
            if open.removeLast() == .object { writer.endObject() } else { writer.endArray() }
        }
    }

    func openContainer(_ kind: Kind, at depth: Int) {
        close(downTo: depth)
        if kind == .object { writer.beginObject() } else { writer.beginArray() }
        open.append(kind)
    }

    /// Starts the next element of the container at `depth` by closing what is still open inside it (the writer adds
    /// the comma).
    func beginElement(at depth: Int) {
        close(downTo: depth + 1)
    }

    func key(_ key: String, at depth: Int) {
        beginElement(at: depth)
        writer.dataKey(key)
    }

    func string(_ value: String) { writer.string(value) }

    func bool(_ value: Bool) { writer.bool(value) }

    func null() { writer.null() }

    /// Every width a container passes (8 to 64 bits) fits `Int64` when negative and `UInt64` otherwise.
    func integer<T: BinaryInteger>(_ value: T) {
        if value < 0 { writer.int(Int64(value)) } else { writer.int(UInt64(value)) }
    }

    func number(_ value: Double, codingPath: [any CodingKey]) throws {
        do {
            try writer.double(value)
        } catch {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "JSON has no \(value)"))
        }
    }

    func encode<T: Encodable>(_ value: T, depth: Int, codingPath: [any CodingKey]) throws {
        if let dictionary = value as? any StringKeyedJSONObject {
            try dictionary.writeSorted(to: self, depth: depth, codingPath: codingPath)
        } else {
            try value.encode(to: StreamEncoder(output: self, depth: depth))
        }
    }
}

/// `[String: V]`, whose own conformance would write its keys in hash order, which changes from run to run.
private protocol StringKeyedJSONObject {
    func writeSorted(to output: JSONOutput, depth: Int, codingPath: [any CodingKey]) throws
}

extension Dictionary: StringKeyedJSONObject where Key == String, Value: Encodable {
    fileprivate func writeSorted(to output: JSONOutput, depth: Int, codingPath: [any CodingKey]) throws {
        output.openContainer(.object, at: depth)
        for key in keys.sorted() {
            output.key(key, at: depth)
            try output.encode(self[key]!, depth: depth + 1, codingPath: codingPath)
        }
    }
}

private struct StreamEncoder: Encoder {
    let output: JSONOutput
    /// The index its container takes among the open ones.
    let depth: Int
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        // A second request continues the object this encoder already opened.
        if output.open.count > depth, output.open[depth] == .object {
            output.close(downTo: depth + 1)
        } else {
            output.openContainer(.object, at: depth)
        }
        return KeyedEncodingContainer(KeyedContainer(output: output, depth: depth))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        output.openContainer(.array, at: depth)
        return UnkeyedContainer(output: output, depth: depth)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(output: output, depth: depth)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let output: JSONOutput
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { output.key(key.stringValue, at: depth); output.null() }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        output.key(key.stringValue, at: depth); output.bool(value)
    }
    mutating func encode(_ value: String, forKey key: Key) throws { output.key(key.stringValue, at: depth); output.string(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        output.key(key.stringValue, at: depth); try output.number(value, codingPath: codingPath + [key])
    }
    mutating func encode(_ value: Float, forKey key: Key) throws { try encode(Double(value), forKey: key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { output.key(key.stringValue, at: depth); output.integer(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { output.key(key.stringValue, at: depth); output.integer(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { output.key(key.stringValue, at: depth); output.integer(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { output.key(key.stringValue, at: depth); output.integer(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { output.key(key.stringValue, at: depth); output.integer(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { output.key(key.stringValue, at: depth); output.integer(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { output.key(key.stringValue, at: depth); output.integer(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { output.key(key.stringValue, at: depth); output.integer(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { output.key(key.stringValue, at: depth); output.integer(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { output.key(key.stringValue, at: depth); output.integer(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        output.key(key.stringValue, at: depth)
        try output.encode(value, depth: depth + 1, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                       forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        output.key(key.stringValue, at: depth)
        return StreamEncoder(output: output, depth: depth + 1).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        output.key(key.stringValue, at: depth)
        return StreamEncoder(output: output, depth: depth + 1).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        output.key("super", at: depth)
        return StreamEncoder(output: output, depth: depth + 1)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        output.key(key.stringValue, at: depth)
        return StreamEncoder(output: output, depth: depth + 1)
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let output: JSONOutput
    let depth: Int
    private(set) var count = 0
    var codingPath: [any CodingKey] { [] }

    init(output: JSONOutput, depth: Int) {
        self.output = output
        self.depth = depth
    }

    private mutating func next() {
        output.beginElement(at: depth)
        count += 1
    }

    mutating func encodeNil() throws { next(); output.null() }
    mutating func encode(_ value: Bool) throws { next(); output.bool(value) }
    mutating func encode(_ value: String) throws { next(); output.string(value) }
    mutating func encode(_ value: Double) throws { next(); try output.number(value, codingPath: codingPath) }
    mutating func encode(_ value: Float) throws { try encode(Double(value)) }
    mutating func encode(_ value: Int) throws { next(); output.integer(value) }
    mutating func encode(_ value: Int8) throws { next(); output.integer(value) }
    mutating func encode(_ value: Int16) throws { next(); output.integer(value) }
    mutating func encode(_ value: Int32) throws { next(); output.integer(value) }
    mutating func encode(_ value: Int64) throws { next(); output.integer(value) }
    mutating func encode(_ value: UInt) throws { next(); output.integer(value) }
    mutating func encode(_ value: UInt8) throws { next(); output.integer(value) }
    mutating func encode(_ value: UInt16) throws { next(); output.integer(value) }
    mutating func encode(_ value: UInt32) throws { next(); output.integer(value) }
    mutating func encode(_ value: UInt64) throws { next(); output.integer(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        next()
        try output.encode(value, depth: depth + 1, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        next()
        return StreamEncoder(output: output, depth: depth + 1).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        next()
        return StreamEncoder(output: output, depth: depth + 1).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        next()
        return StreamEncoder(output: output, depth: depth + 1)
    }
}

/// A single value is written where its parent container has just put the key or the comma.
private struct SingleValueContainer: SingleValueEncodingContainer {
    let output: JSONOutput
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { output.null() }
    mutating func encode(_ value: Bool) throws { output.bool(value) }
    mutating func encode(_ value: String) throws { output.string(value) }
    mutating func encode(_ value: Double) throws { try output.number(value, codingPath: codingPath) }
    mutating func encode(_ value: Float) throws { try encode(Double(value)) }
    mutating func encode(_ value: Int) throws { output.integer(value) }
    mutating func encode(_ value: Int8) throws { output.integer(value) }
    mutating func encode(_ value: Int16) throws { output.integer(value) }
    mutating func encode(_ value: Int32) throws { output.integer(value) }
    mutating func encode(_ value: Int64) throws { output.integer(value) }
    mutating func encode(_ value: UInt) throws { output.integer(value) }
    mutating func encode(_ value: UInt8) throws { output.integer(value) }
    mutating func encode(_ value: UInt16) throws { output.integer(value) }
    mutating func encode(_ value: UInt32) throws { output.integer(value) }
    mutating func encode(_ value: UInt64) throws { output.integer(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try output.encode(value, depth: depth, codingPath: codingPath) }
}
