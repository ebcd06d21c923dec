import Foundation

/// A plain TCP connection to the engine for hostile clients: bytes exactly as written (a WebSocket frame without a
/// mask, a body trickled a byte at a time, a client that never reads), which no well-behaved client library sends.
final class RawSocket {
    let fd: Int32

    /// Connects to 127.0.0.1:`port`; `receiveBuffer` shrinks the socket's receive buffer (a client that does not
    /// read then stops taking data sooner).
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawSocketError.socket }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw RawSocketError.connect
        }
    }

    deinit { close(fd) }

    /// Writes all of `bytes`; false when the peer has closed (or reset) the connection.
    @discardableResult
    func write(_ bytes: Data) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return false }
                offset += sent
            }
            return true
        }
    }

    func write(_ text: String) -> Bool { write(Data(text.utf8)) }

    /// Set once the peer has closed (or reset) the connection.
    private(set) var peerClosed = false

    /// One `recv` of what has arrived, waiting at most `timeout`; nil when the peer closed (`peerClosed`), failed
    /// or sent nothing in time.
    func receive(timeout: TimeInterval) -> Data? {
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count > 0 { return Data(buffer[0..<count]) }
        if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { peerClosed = true }
        return nil
    }

    /// Reads until the peer closes or nothing arrives for `idle` seconds; `closed` says which.
    func read(idle: TimeInterval = 5) -> (data: Data, closed: Bool) {
        var received = Data()
        while let chunk = receive(timeout: idle) { received.append(chunk) }
        return (received, peerClosed)
    }

    /// Reads until what arrived contains `marker`, the peer closes, or nothing arrives for `idle` seconds (a live
    /// session's events never pause that long, so `read(idle:)` would not end).
    func read(until marker: String, idle: TimeInterval = 5) -> Data {
        var received = Data()
        while received.range(of: Data(marker.utf8)) == nil, let chunk = receive(timeout: idle) { received.append(chunk) }
        return received
    }

    /// Reads until the server's frames so far satisfy `done`, the peer closes, or nothing arrives for `idle` seconds;
    /// returns those frames (`WebSocketFrame.decode`).
    func frames(idle: TimeInterval = 5, until done: ([(opcode: UInt8, payload: Data)]) -> Bool) -> [(opcode: UInt8, payload: Data)] {
        var received = Data()
        while !done(WebSocketFrame.decode(received)), let chunk = receive(timeout: idle) { received.append(chunk) }
        return WebSocketFrame.decode(received)
    }

    /// The interview's upgrade request, signed in with `token`.
    static func upgradeRequest(port: Int, token: String) -> String {
        ["GET /v1/interview HTTP/1.1", "Host: 127.0.0.1:\(port)", "Connection: Upgrade", "Upgrade: websocket",
         "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
         "Authorization: Bearer \(token)"].joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// Opens the interview WebSocket with `token`; returns the handshake's response head.
    func upgrade(port: Int, token: String) throws -> String {
        guard write(Self.upgradeRequest(port: port, token: token)) else { throw RawSocketError.closed }
        var head = Data()
        var byte: UInt8 = 0
        // Byte by byte, so nothing after the head (the first frames) is consumed here.
        while !head.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)) {
            guard recv(fd, &byte, 1, 0) == 1 else { throw RawSocketError.closed }
            head.append(byte)
        }
        return String(decoding: head, as: UTF8.self)
    }

    enum RawSocketError: Error { case socket, connect, closed }
}

/// WebSocket frames as RFC 6455 §5.2 lays them out, for writing hostile ones and reading what the server sends.
enum WebSocketFrame {
    static let text: UInt8 = 0x1
    static let binary: UInt8 = 0x2
    static let close: UInt8 = 0x8

    /// One final frame; clients must mask (`masked: false` breaks that rule on purpose).
    static func encode(opcode: UInt8, _ payload: Data, masked: Bool = true) -> Data {
        var frame = Data([0x80 | opcode])
        let maskBit: UInt8 = masked ? 0x80 : 0
        switch payload.count {
        case ..<126: frame.append(maskBit | UInt8(payload.count))
        case ..<65_536:
            frame.append(maskBit | 126)
            frame.append(contentsOf: [UInt8(payload.count >> 8), UInt8(payload.count & 0xff)])
        default:
            frame.append(maskBit | 127)
            frame.append(contentsOf: (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xff) })
        }
        guard masked else { return frame + payload }
        let key: [UInt8] = [0x37, 0xfa, 0x21, 0x3d]
        frame.append(contentsOf: key)
        frame.append(contentsOf: payload.enumerated().map { $0.element ^ key[$0.offset % 4] })
        return frame
    }

    static func text(_ string: String, masked: Bool = true) -> Data { encode(opcode: text, Data(string.utf8), masked: masked) }

    /// A close frame carrying `code`.
    static func close(code: UInt16) -> Data { encode(opcode: close, Data([UInt8(code >> 8), UInt8(code & 0xff)])) }

    /// The unmasked frames a server sent, in order, as (opcode, payload); a trailing partial frame is left out.
    static func decode(_ bytes: Data) -> [(opcode: UInt8, payload: Data)] {
        let data = [UInt8](bytes)
        var frames: [(UInt8, Data)] = []
        var index = 0
        while index + 2 <= data.count {
            var length = Int(data[index + 1] & 0x7f)
            var start = index + 2
            if length == 126 {
                guard start + 2 <= data.count else { break }
                length = Int(data[start]) << 8 | Int(data[start + 1])
                start += 2
            } else if length == 127 {
                guard start + 8 <= data.count else { break }
                length = data[start..<start + 8].reduce(0) { $0 << 8 | Int($1) }
                start += 8
            }
            guard start + length <= data.count else { break }
            frames.append((data[index] & 0x0f, Data(data[start..<start + length])))
            index = start + length
        }
        return frames
    }

    /// The close code of a close frame's payload.
    static func closeCode(_ payload: Data) -> UInt16? {
        payload.count >= 2 ? UInt16(payload[payload.startIndex]) << 8 | UInt16(payload[payload.startIndex + 1]) : nil
    }
}
