import Foundation
import OutboundHTTP
import Testing
@testable import Model

/// A streamed chat completion read piece by piece, without sockets: the first token once, the text, its bounds,
/// error statuses and streams, and what each way a transfer can end means for the call.
@Suite struct ChatCompletionStreamTests {
    static func stream(maxResponseBytes: Int = 1_000) -> ChatCompletionStream {
        var stream = ChatCompletionStream(maxResponseBytes: maxResponseBytes, maxStreamBytes: 64_000, timeout: 2.5)
        stream.headReceived(status: 200)
        return stream
    }

    static func chunk(_ content: String?, finish: String? = nil) -> String {
        let delta = content.map { #"{"content":\#(Self.quoted($0))}"# } ?? "{}"
        return #"data: {"choices":[{"index":0,"delta":\#(delta),"finish_reason":\#(finish.map(quoted) ?? "null")}]}"# + "\n\n"
    }

    static func quoted(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed), as: UTF8.self)
    }

    @Test func deltasSplitAnywhereMakeTheTextAndTheFirstTokenComesOnce() {
        var stream = Self.stream()
        let wire = Self.chunk("What did ") + Self.chunk("you fix?") + Self.chunk(nil, finish: "stop") + "data: [DONE]\n\n"
        var events: [ChatStreamEvent] = []
        // Seven bytes at a time: events and lines cut in the middle.
        let bytes = Array(wire.utf8)
        for start in stride(from: 0, to: bytes.count, by: 7) {
            let (more, stop) = stream.bodyReceived(Data(bytes[start..<min(bytes.count, start + 7)]))
            #expect(!stop)
            events += more
        }
        #expect(events == [.firstToken])
        #expect(stream.transferFinished(.success(())) == .success("What did you fix?"))
    }

    @Test func anEmptyDeltaIsNotAToken() {
        var stream = Self.stream()
        #expect(stream.bodyReceived(Data(Self.chunk("").utf8)).events == [])
        #expect(stream.bodyReceived(Data(Self.chunk("Hi").utf8)).events == [.firstToken])
    }

    @Test func textPastItsBoundStopsTheStream() {
        var stream = Self.stream(maxResponseBytes: 10)
        #expect(stream.bodyReceived(Data(Self.chunk("0123456789").utf8)).stop == false)
        #expect(stream.bodyReceived(Data(Self.chunk("!").utf8)).stop == true)
        // The transfer then ends as stopped; the call says why.
        #expect(stream.transferFinished(.failure(.stopped)) == .failure(.tooLong(limit: 10)))
    }

    @Test func anErrorInTheStreamOrALineThatIsNoChunkStopsIt() {
        var erring = Self.stream()
        #expect(erring.bodyReceived(Data((#"data: {"error":{"message":"context too long"}}"# + "\n\n").utf8)).stop)
        #expect(erring.transferFinished(.failure(.stopped)) == .failure(.malformed("the stream carried an error: context too long")))

        var garbled = Self.stream()
        #expect(garbled.bodyReceived(Data("data: not json\n\n".utf8)).stop)
        #expect(garbled.transferFinished(.failure(.stopped))
                == .failure(.malformed("a data line was not a chat completion chunk: not json")))
    }

    @Test func aStreamThatEndsBeforeItsEndIsMalformed() {
        var stream = Self.stream()
        _ = stream.bodyReceived(Data(Self.chunk("What did").utf8))
        #expect(stream.transferFinished(.success(()))
                == .failure(.malformed("the stream ended before its end (no finish_reason, no [DONE])")))
    }

    @Test func anErrorStatusKeepsTheStartOfItsBody() {
        var stream = ChatCompletionStream(maxResponseBytes: 1_000, maxStreamBytes: 64_000, timeout: 2.5)
        stream.headReceived(status: 503)
        #expect(stream.bodyReceived(Data(#"{"error":"loading model"}"#.utf8)) == ([], false))
        #expect(stream.transferFinished(.success(())) == .failure(.status(503, #"{"error":"loading model"}"#)))

        // A long error body is read only as far as the part kept.
        var long = ChatCompletionStream(maxResponseBytes: 1_000, maxStreamBytes: 64_000, timeout: 2.5)
        long.headReceived(status: 500)
        #expect(long.bodyReceived(Data(repeating: UInt8(ascii: "e"), count: 600)).stop == false)
        #expect(long.bodyReceived(Data(repeating: UInt8(ascii: "e"), count: 600)).stop == true)
        #expect(long.transferFinished(.failure(.stopped))
                == .failure(.status(500, String(repeating: "e", count: ChatCompletionStream.errorBodyBytes))))
    }

    @Test func eachWayATransferEndsIsTheCallsFailure() {
        let stream = Self.stream()
        #expect(stream.transferFinished(.failure(.cancelled)) == .failure(.cancelled))
        #expect(stream.transferFinished(.failure(.shutDown)) == .failure(.cancelled))
        #expect(stream.transferFinished(.failure(.timedOut(.total(2.5)))) == .failure(.timedOut(seconds: 2.5)))
        #expect(stream.transferFinished(.failure(.timedOut(.idle(1)))) == .failure(.timedOut(seconds: 2.5)))
        #expect(stream.transferFinished(.failure(.responseTooLarge(limit: 64_000))) == .failure(.tooLong(limit: 64_000)))
        #expect(stream.transferFinished(.failure(.busy(limit: 64))) == .failure(.busy))
        #expect(stream.transferFinished(.failure(.couldNotConnect("Connection refused")))
                == .failure(.transport("could not connect: Connection refused")))
    }
}
