import Foundation
import Logging
import Server
import Testing

/// `--log-format json`: one JSON object a line, the handler's and the line's metadata as fields.
@Suite struct JSONLogHandlerTests {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var written: [Data] = []
        func append(_ data: Data) { lock.withLock { written.append(data) } }
        var all: [Data] { lock.withLock { written } }
    }

    @Test func aLineIsOneObjectWithItsMetadataAsFields() throws {
        let lines = Lines()
        var logger = Logger(label: "jestry") { JSONLogHandler(label: $0, write: lines.append) }
        logger[metadataKey: "session.id"] = "S1"
        logger[metadataKey: "account.id"] = "A1"
        logger.info("session \"ended\"\nsecond line", metadata: ["reason": "completed", "parts": ["a", "b"], "sizes": ["x": "1"]])
        logger.debug("below the level")
        let written = lines.all
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(!line.dropLast().contains(UInt8(ascii: "\n")), "a message with a newline stays on one line")
        let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        #expect(object["message"] as? String == "session \"ended\"\nsecond line")
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "jestry")
        #expect(object["session.id"] as? String == "S1")
        #expect(object["account.id"] as? String == "A1")
        #expect(object["reason"] as? String == "completed")
        #expect(object["parts"] as? [String] == ["a", "b"])
        #expect(object["sizes"] as? [String: String] == ["x": "1"])
        #expect((object["time"] as? String).flatMap { ISO8601DateFormatter.withFractions.date(from: $0) } != nil)
    }
}

extension ISO8601DateFormatter {
    static var withFractions: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
