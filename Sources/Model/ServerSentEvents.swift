import Foundation

/// Server-sent events (the WHATWG `text/event-stream` format) parsed as the bytes arrive, in chunks of any size:
/// each complete event's `data` comes out, the unfinished rest is kept for the next chunk.
///
/// Only `data:` fields matter to a chat completion stream; `event:`, `id:`, `retry:` and comments (`:`) are
/// skipped. Lines end in LF or CRLF. An event larger than `maxEventBytes` is an error, so a server that never ends
/// a line cannot make the engine hold more.
public struct ServerSentEventParser: Sendable {
    public struct EventTooLarge: Error, CustomStringConvertible {
        public let limit: Int
        public var description: String { "a server-sent event was larger than \(limit) bytes" }
    }

    public let maxEventBytes: Int
    private var pending = Data()
    private var dataLines: [String] = []
    private var eventBytes = 0

    public init(maxEventBytes: Int = 64 * 1024) {
        self.maxEventBytes = maxEventBytes
    }

    /// The `data` of every event this chunk completed, in order (several `data:` lines of one event are joined
    /// with a newline, as the format says).
    public mutating func feed(_ chunk: Data) throws(EventTooLarge) -> [String] {
        pending.append(chunk)
        var events: [String] = []
        var lineStart = pending.startIndex
        while let newline = pending[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
            var lineEnd = newline
            if lineEnd > lineStart, pending[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            let line = String(decoding: pending[lineStart..<lineEnd], as: UTF8.self)
            lineStart = newline + 1
            if line.isEmpty {
                if !dataLines.isEmpty { events.append(dataLines.joined(separator: "\n")) }
                dataLines.removeAll()
                eventBytes = 0
                continue
            }
            eventBytes += line.utf8.count
            guard eventBytes <= maxEventBytes else { throw EventTooLarge(limit: maxEventBytes) }
            if line.hasPrefix("data:") {
                var value = line.dropFirst(5)
                if value.first == " " { value = value.dropFirst() }
                dataLines.append(String(value))
            }
        }
        pending.removeSubrange(pending.startIndex..<lineStart)
        guard eventBytes + pending.count <= maxEventBytes else { throw EventTooLarge(limit: maxEventBytes) }
        return events
    }
}
