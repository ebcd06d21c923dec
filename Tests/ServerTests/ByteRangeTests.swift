import Foundation
import Testing
@testable import Server

/// `Range: bytes=…` as a video player sends it, resolved against the file's size (RFC 9110 §14.1.2).
@Suite struct ByteRangeTests {
    func resolve(_ header: String?, size: Int64 = 1_000, maxLength: Int64 = 1 << 20) -> ClosedRange<Int64>? {
        ByteRange.parse(header)?.resolved(size: size, maxLength: maxLength)
    }

    @Test func singleRangesResolveInsideTheFile() {
        #expect(resolve("bytes=0-99") == 0...99)
        #expect(resolve("bytes=990-2000") == 990...999, "a last byte past the end is the end")
        #expect(resolve("bytes=500-") == 500...999)
        #expect(resolve("bytes=-100") == 900...999)
        #expect(resolve("bytes=-5000") == 0...999, "a suffix longer than the file is the whole file")
        #expect(resolve(" Bytes=10-19 ") == 10...19, "the unit in any case, spaces around the value")
    }

    @Test func openRangesAreCutToTheMostOneAnswerCarries() {
        #expect(resolve("bytes=0-", maxLength: 100) == 0...99)
        #expect(resolve("bytes=950-", maxLength: 100) == 950...999)
    }

    @Test func rangesPastTheEndAreNotSatisfiable() {
        #expect(ByteRange.parse("bytes=1000-") != nil)
        #expect(resolve("bytes=1000-") == nil)
        #expect(resolve("bytes=0-10", size: 0) == nil)
    }

    @Test func whatIsNotOneByteRangeIsIgnored() {
        for header in [nil, "", "bytes=", "bytes=-", "bytes=5-2", "bytes=0-1,5-6", "items=0-5", "bytes=a-b", "bytes=-0",
                       "bytes=0x10-", "bytes=+1-2", "bytes=" + String(repeating: "9", count: 120) + "-"] {
            #expect(ByteRange.parse(header) == nil, "\(header ?? "nil")")
        }
    }
}
