import CWebSockets

/// RFC 6455 client frames built in place, so `LoadClient` hands libwebsockets finished bytes (`LWS_WRITE_RAW`).
///
/// lws 4.1.6 masks a client payload one byte at a time and reads `/dev/urandom` for every frame's key: together about
/// an eighth of the load generator's CPU at 1,000 candidates. Here a key is four bytes from a pool the kernel's random
/// source fills 1,024 keys at a time, and the payload is masked eight bytes at a time.
public enum ClientFrame {
    /// The data frames a client sends.
    public enum Opcode: UInt8 {
        case text = 1
        case binary = 2
    }

    /// The most header bytes a frame needs (a 64-bit length and the key): the room `seal` wants before the payload.
    public static let maximumHeaderBytes = 14

    /// Writes the header of a final, masked frame with `opcode` into the bytes just before `payload`, masks the
    /// `count` payload bytes in place with `key`, and returns the header's length. The frame is then the header's
    /// bytes followed by the payload's; at most `maximumHeaderBytes` before `payload` are written.
    public static func seal(opcode: Opcode, payload: UnsafeMutableRawPointer, count: Int, key: UInt32) -> Int {
        let lengthBytes = count < 126 ? 0 : count < 65_536 ? 2 : 8
        let headerBytes = 2 + lengthBytes + 4
        let header = payload - headerBytes
        header.storeBytes(of: 0x80 | opcode.rawValue, as: UInt8.self)  // FIN: the whole message
        let lengthCode: UInt8 = count < 126 ? UInt8(count) : count < 65_536 ? 126 : 127
        header.storeBytes(of: 0x80 | lengthCode, toByteOffset: 1, as: UInt8.self)
        for index in 0..<lengthBytes {  // network byte order
            let shift = 8 * (lengthBytes - 1 - index)
            let byte = UInt8(truncatingIfNeeded: UInt64(count) >> shift)
            header.storeBytes(of: byte, toByteOffset: 2 + index, as: UInt8.self)
        }
        // The key's bytes as they lie in memory are the mask; the same bytes repeated make the eight-byte mask.
        header.storeBytes(of: key, toByteOffset: 2 + lengthBytes, as: UInt32.self)
        let wide = UInt64(key) | UInt64(key) << 32
        var offset = 0
        while offset + 8 <= count {
            let word = payload.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            payload.storeBytes(of: word ^ wide, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        let mask = header + 2 + lengthBytes
        while offset < count {
            let byte = payload.load(fromByteOffset: offset, as: UInt8.self)
            let masked = byte ^ mask.load(fromByteOffset: offset & 3, as: UInt8.self)
            payload.storeBytes(of: masked, toByteOffset: offset, as: UInt8.self)
            offset += 1
        }
        return headerBytes
    }

    /// Masking keys from the kernel's random source (`getrandom`), fetched 1,024 at a time.
    public struct Keys {
        private var pool = [UInt32](repeating: 0, count: 1_024)
        private var next = 1_024

        public init() {}

        /// The next key; refills the pool when it is used up.
        public mutating func take() -> UInt32 {
            if next == pool.count {
                // Only a kernel without getrandom(2) (before Linux 3.17) fails here.
                let failure = pool.withUnsafeMutableBytes { jestry_random_fill($0.baseAddress!, $0.count) }
                precondition(failure == 0, "getrandom failed with errno \(failure)")
                next = 0
            }
            defer { next += 1 }
            return pool[next]
        }
    }
}
