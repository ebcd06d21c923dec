import Foundation
import OutboundHTTP

/// One streamed chat completion as its response arrives, without I/O: the status, then pieces of the body of any
/// size (server-sent events), then the transfer's end. It reports the first token once, collects the text within
/// its bound, keeps the start of an error body, and decides the call's one result.
struct ChatCompletionStream {
    /// Text past this is `tooLong`.
    let maxResponseBytes: Int
    /// The transfer's own bound on the stream (`OutboundLimits.maxResponseBytes`), reported as `tooLong` too.
    let maxStreamBytes: Int
    /// The call's timeout, as `timedOut` reports it.
    let timeout: TimeInterval
    private var parser = ServerSentEventParser()
    private var status = 0
    private var errorBody = Data()
    private var text = ""
    private var sawToken = false
    private var sawEnd = false
    private var failure: ModelFailure?

    /// The start of an error response kept for the failure's description.
    static let errorBodyBytes = 1_024

    init(maxResponseBytes: Int, maxStreamBytes: Int, timeout: TimeInterval) {
        self.maxResponseBytes = maxResponseBytes
        self.maxStreamBytes = maxStreamBytes
        self.timeout = timeout
    }

    mutating func headReceived(status: Int) { self.status = status }

    /// The events this piece completes (`firstToken` at most once over the stream), and whether to stop reading:
    /// the answer is already decided (too long, an error in the stream, a line that is not a chunk).
    mutating func bodyReceived(_ chunk: Data) -> (events: [ChatStreamEvent], stop: Bool) {
        guard failure == nil else { return ([], true) }
        guard status == 200 else {
            errorBody.append(chunk.prefix(max(0, Self.errorBodyBytes - errorBody.count)))
            return ([], errorBody.count >= Self.errorBodyBytes)
        }
        var events: [ChatStreamEvent] = []
        do {
            for payload in try parser.feed(chunk) {
                switch ChatCompletionChunk.parse(payload) {
                case .done:
                    sawEnd = true
                case .content(let content, let finished):
                    if let content, !content.isEmpty {
                        text += content
                        if !sawToken {
                            sawToken = true
                            events.append(.firstToken)
                        }
                        if text.utf8.count > maxResponseBytes { failure = .tooLong(limit: maxResponseBytes) }
                    }
                    if finished { sawEnd = true }
                case .error(let message):
                    failure = .malformed("the stream carried an error: \(message.prefix(200))")
                case nil:
                    failure = .malformed("a data line was not a chat completion chunk: \(payload.prefix(120))")
                }
                if failure != nil { break }
            }
        } catch {
            failure = .malformed("\(error)")
        }
        return (events, failure != nil)
    }

    /// The call's result once the transfer has ended, however it ended.
    func transferFinished(_ result: Result<Void, OutboundFailure>) -> Result<String, ModelFailure> {
        if let failure { return .failure(failure) }
        switch result {
        case .success where status != 200, .failure(.stopped):  // an error status, its body read (or its start)
            return .failure(.status(status, String(decoding: errorBody, as: UTF8.self)))
        case .success where !sawEnd:
            return .failure(.malformed("the stream ended before its end (no finish_reason, no [DONE])"))
        case .success:
            return .success(text)
        case .failure(.cancelled), .failure(.shutDown):
            return .failure(.cancelled)
        case .failure(.timedOut):
            return .failure(.timedOut(seconds: timeout))
        case .failure(.responseTooLarge):
            return .failure(.tooLong(limit: maxStreamBytes))
        case .failure(.busy):
            return .failure(.busy)
        case .failure(let other):
            return .failure(.transport("\(other)"))
        }
    }
}
