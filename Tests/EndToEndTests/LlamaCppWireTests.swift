import EngineClient
import Foundation
import Interview
import Model
import Server
import TestSupport
import Testing

/// Wire compatibility with a real llama.cpp server (services/llm, SmolLM2-135M on the CPU): streaming, cancellation,
/// the JSON-schema grading path and the engine's fallback. Never the quality of this tiny model's prose.
@Suite(.serialized) struct LlamaCppWireTests {
    /// Collects a call's events; `finished` is signalled once.
    final class Events: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var seen: [ChatStreamEvent] = []
        let finished = DispatchSemaphore(value: 0)
        let firstToken = DispatchSemaphore(value: 0)

        func note(_ event: ChatStreamEvent) {
            lock.withLock { seen.append(event) }
            if case .finished = event { finished.signal() } else { firstToken.signal() }
        }

        var result: Result<String, ModelFailure>? {
            lock.withLock { seen.compactMap { if case .finished(let result) = $0 { result } else { nil } }.first }
        }
    }

    static func call(_ client: OpenAICompatibleChatClient, _ request: ChatRequest, timeout: TimeInterval = 120) -> (Events, ModelCall) {
        let events = Events()
        let call = client.stream(request, timeout: timeout) { events.note($0) }
        return (events, call)
    }

    @Test func streamsCancelsAndGradesWithAJSONSchema() throws {
        let server = try LocalService.modelServer()
        defer { server.stop() }
        let client = OpenAICompatibleChatClient(baseURL: server.url, apiKey: nil, model: "smollm2-135m")
        defer { client.invalidate() }

        // Streaming: the first token is reported before the end, then the text.
        let ask = ChatRequest(messages: [ChatMessage(.system, "You are an interviewer."),
                                         ChatMessage(.user, "Ask me one short question about my last job.")], maxTokens: 24)
        let (streamed, _) = Self.call(client, ask)
        #expect(streamed.finished.wait(timeout: .now() + 120) == .success)
        #expect(streamed.seen.first == .firstToken)
        #expect(streamed.seen.filter { $0 == .firstToken }.count == 1)
        let text = try #require(try streamed.result?.get())
        #expect(!text.isEmpty)

        // Cancellation after the first token of a long answer: the call ends as cancelled, and the server, whose
        // slot is freed, answers the next call.
        let long = ChatRequest(messages: [ChatMessage(.user, "Write a very long story about a lighthouse keeper.")],
                               maxTokens: 2_000)
        let (cancelled, call) = Self.call(client, long)
        #expect(cancelled.firstToken.wait(timeout: .now() + 120) == .success)
        call.cancel()
        #expect(cancelled.finished.wait(timeout: .now() + 30) == .success)
        #expect(cancelled.result == .failure(.cancelled))

        // The grading path: response_format json_schema makes even this model's reply parse against the schema.
        let answer = "At my last job I moved our payment service off Java 8 in three stages, and errors fell by 40%."
        let grading = AnswerGrading.chatRequest(question: "Tell me about a migration you led.", answer: answer,
                                                rubric: Rubric.standard, instructions: nil)
        let (graded, _) = Self.call(client, grading)
        #expect(graded.finished.wait(timeout: .now() + 180) == .success)
        let json = try #require(try graded.result?.get())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: Any]])
        #expect(Set(object.keys) == Set(ScoreCriterion.allCases.map(\.rawValue)))
        for (criterion, entry) in object {
            let score = try #require(entry["score"] as? Int, "\(criterion) has no integer score")
            #expect((0...100).contains(score))
            #expect((entry["evidence"] as? String).map { $0.count <= AnswerGrading.maxEvidenceCharacters } == true)
        }
        // Whether this model quotes its evidence is its quality, not the wire: the checks decide either way.
        switch AnswerGrading.parse(json, answer: answer, criteria: ScoreCriterion.allCases) {
        case .success, .failure(.evidenceNotQuoted): break
        case .failure(let rejection): Issue.record("a schema-conforming grade was rejected: \(rejection)")
        }
    }

    /// Through the engine: the follow-up is worded by the real server or, when its wording fails the checks, is the
    /// template's; with a budget the model cannot meet, it is always the template's.
    @Test func theEngineAsksAFollowUpFromTheRealServerAndFallsBack() throws {
        let server = try LocalService.modelServer()
        defer { server.stop() }
        for (budget, mustFallBack) in [(ModelLatencyBudget(firstTokenMs: 60_000, totalMs: 90_000), false),
                                       (ModelLatencyBudget(firstTokenMs: 1, totalMs: 1), true)] {
            let engine = try TestEngine { configuration in
                var provider = ModelProviderConfiguration(url: server.url, key: nil, name: "smollm2-135m")
                provider.budget = budget
                configuration.model = provider
            }
            let client = try engine.connect(token: try engine.signUp())
            defer { client.shutdown() }
            try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "text"])
            #expect(try client.next("session.started")["interviewer"] as? String == "model")
            _ = try client.next("question")
            try client.send(json: ["type": "answer.text", "text": "We fixed the payment service in the end."])
            try client.send(json: ["type": "answer.done"])
            _ = try client.next("interviewer.thinking")
            let question = try client.next("question", limit: 1_000, timeout: 120)  // billing.updated comes every second meanwhile
            let text = try #require(question["text"] as? String)
            #expect((question["template"] as? [String: String])?["id"] == "follow-up.too-short")
            if mustFallBack || question["source"] as? String == "template" {
                #expect(question["source"] as? String == "template")
                #expect(text.hasPrefix("Could you tell me more, with one specific example?"))
            } else {
                #expect(question["source"] as? String == "model")
                #expect(question["model"] as? String == "smollm2-135m")
                #expect(text.hasSuffix("?"))
                #expect(!text.hasPrefix("Could you tell me more, with one specific example?"))
            }
        }
    }
}
