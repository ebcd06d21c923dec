import Audio
import Foundation
import Testing
@testable import Server

/// The server's pure answers to hostile input, without a socket: request framing, requests lws could not parse,
/// `Allow`, the per-connection message budget and the repair of recordings a crash left unfinished.
@Suite struct BoundaryUnitTests {
    @Test func requestFramingThatCannotBeTrustedIsRefused() {
        #expect(ServiceLoop.framingRefusal(method: "POST", contentLength: "5", transferEncoding: nil) == nil)
        #expect(ServiceLoop.framingRefusal(method: "GET", contentLength: nil, transferEncoding: nil) == nil)
        #expect(ServiceLoop.framingRefusal(method: "GET", contentLength: "0", transferEncoding: nil) == nil)
        let both = ServiceLoop.framingRefusal(method: "POST", contentLength: "5", transferEncoding: "chunked")
        #expect(both?.status == 400)
        #expect(both?.closeConnection == true)
        #expect(ServiceLoop.framingRefusal(method: "POST", contentLength: nil, transferEncoding: "chunked")?.status == 411)
        #expect(ServiceLoop.framingRefusal(method: "POST", contentLength: "-1", transferEncoding: nil)?.status == 400)
        #expect(ServiceLoop.framingRefusal(method: "POST", contentLength: "12abc", transferEncoding: nil)?.status == 400)
        #expect(ServiceLoop.framingRefusal(method: "GET", contentLength: "10", transferEncoding: nil)?.status == 400)
        #expect(ServiceLoop.framingRefusal(method: "HEAD", contentLength: "1", transferEncoding: nil)?.status == 400)
    }

    @Test func anUnknownMethodGets405WithThePathsMethods() {
        let allowed: (String) -> String? = { $0 == "/v1/me" ? "GET, HEAD, PATCH" : nil }
        let brew = UnparsedRequest.response(for: Data("BREW /v1/me?x=1 HTTP/1.1\r\nHost: x\r\n\r\n".utf8), allowedMethods: allowed)
        #expect(brew.status == 405)
        #expect(brew.headers.contains { $0.name == "allow:" && $0.value == "GET, HEAD, PATCH" })
        #expect(UnparsedRequest.response(for: Data("BREW /v1/nope HTTP/1.1\r\n".utf8), allowedMethods: allowed).status == 404)
        for garbage in ["\u{16}\u{03}\u{01}", "GET", "B(REW / HTTP/1.1", "BREW nope HTTP/1.1", ""] {
            let response = UnparsedRequest.response(for: Data(garbage.utf8), allowedMethods: allowed)
            #expect(response.status == 400, "\(garbage.debugDescription)")
            #expect(response.closeConnection)
        }
        let bytes = String(decoding: brew.wireBytes(), as: UTF8.self)
        #expect(bytes.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(bytes.contains("\r\nallow: GET, HEAD, PATCH\r\n"))
        #expect(bytes.hasSuffix("\r\n\r\n" + String(decoding: brew.body, as: UTF8.self)))
    }

    @Test func allowListsHEADWhereverGETIs() {
        #expect(APIRoutes.allowHeader(["POST"]) == "POST")
        #expect(APIRoutes.allowHeader(["PATCH", "GET"]) == "GET, HEAD, PATCH")
        #expect(APIRoutes.allowHeader(["DELETE", "GET"]) == "GET, HEAD, DELETE")
    }

    @Test func theMessageBudgetAllowsABurstThenTheRateAndReportsOnceASecond() {
        var budget = MessageBudget(RateLimit(burst: 3, period: 3))  // one a second after the burst
        #expect((0..<3).map { _ in budget.take(at: 0) } == [.allowed, .allowed, .allowed])
        #expect(budget.take(at: 0) == .refused(report: true))
        #expect(budget.take(at: 500) == .refused(report: false))
        #expect(budget.take(at: 1_000) == .allowed)
        #expect(budget.take(at: 1_000) == .refused(report: true))
        #expect(budget.take(at: 10_000) == .allowed)
        #expect(budget.take(at: 10_000) == .allowed)
        #expect(budget.take(at: 10_000) == .allowed)
        #expect(budget.take(at: 10_000) == .refused(report: true), "never more than the burst")
        var unlimited = MessageBudget(.unlimited)
        #expect((0..<1_000).allSatisfy { _ in unlimited.take(at: 0) == .allowed })
    }

    @Test func aRecordingHeaderLeftAtZeroIsRepairedToTheFileSize() throws {
        let unfinished = WAVFile.header(sampleRate: 16_000, dataByteCount: 0)
        let repaired = try #require(WAVFile.repairedHeader(unfinished, fileSize: 44 + 32_000))
        #expect(repaired == WAVFile.header(sampleRate: 16_000, dataByteCount: 32_000))
        #expect(WAVFile.repairedHeader(repaired, fileSize: 44 + 32_000) == nil, "a right header is left alone")
        #expect(WAVFile.repairedHeader(unfinished, fileSize: 44 + 3) == WAVFile.header(sampleRate: 16_000, dataByteCount: 2),
                "only whole samples")
        #expect(WAVFile.repairedHeader(Data("not a wave file at all, just some text here....".utf8), fileSize: 100) == nil)
        #expect(WAVFile.repairedHeader(unfinished.prefix(20), fileSize: 100) == nil)
    }
}

extension MessageBudget.Verdict: CustomStringConvertible {
    public var description: String {
        switch self {
        case .allowed: "allowed"
        case .refused(let report): "refused(report: \(report))"
        }
    }
}
