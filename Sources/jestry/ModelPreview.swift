import Dispatch
import Foundation
import Interview
import Model
import Server

/// `jestry prompts preview --model-url`: the model's wording of the chosen follow-up beside the template's, with
/// the verdict of the same checks the engine applies and the time it took.
enum ModelPreview {
    static func wording(for request: FollowUpWordingRequest, provider: ModelProviderConfiguration,
                        timeout: TimeInterval = 60) -> String {
        let client = OpenAICompatibleChatClient(baseURL: provider.url, apiKey: provider.key, model: provider.name)
        defer { client.invalidate() }
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        let started = DispatchTime.now()
        _ = client.stream(FollowUpWording.chatRequest(for: request), timeout: timeout) { event in
            switch event {
            case .firstToken: outcome.set(firstTokenMs: Self.ms(since: started))
            case .finished(let result):
                outcome.set(result: result, totalMs: Self.ms(since: started))
                done.signal()
            }
        }
        done.wait()
        let (firstTokenMs, totalMs, result) = outcome.values
        // A content follow-up has no text of its own: without the model's wording the interview moves on.
        let fallback = request.templateText.isEmpty ? "move on to the next question" : "ask the template's text"
        var lines = ["Model wording (\(provider.name) at \(provider.url.absoluteString)):"]
        switch result {
        case .success(let text):
            lines.append("  raw: \(text)")
            switch FollowUpWordingCheck.check(text, for: request) {
            case .success(let checked): lines.append("  checked: \(checked)")
            case .failure(let rejection): lines.append("  rejected: \(rejection); the engine would \(fallback)")
            }
        case .failure(let failure):
            lines.append("  failed: \(failure); the engine would \(fallback)")
        }
        lines.append("  first token after \(firstTokenMs.map { "\($0) ms" } ?? "none"), whole answer after \(totalMs) ms "
                     + "(the engine's default budget: 1000 ms and 2500 ms)")
        lines.append(request.templateText.isEmpty ? "Template text: none (a content follow-up, \(request.template.id))"
                                                  : "Template text: \(request.templateText)")
        return lines.joined(separator: "\n")
    }

    static func ms(since start: DispatchTime) -> Int {
        Int((DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000)
    }

    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var firstTokenMs: Int?
        private var totalMs = 0
        private var result: Result<String, ModelFailure>?

        func set(firstTokenMs value: Int) { lock.withLock { firstTokenMs = value } }
        func set(result value: Result<String, ModelFailure>, totalMs ms: Int) { lock.withLock { result = value; totalMs = ms } }
        /// Read after `finished`, which always sets the result.
        var values: (Int?, Int, Result<String, ModelFailure>) {
            lock.withLock { (firstTokenMs, totalMs, result ?? .failure(.transport("no answer"))) }
        }
    }
}
