import Dispatch
import Foundation
import Interview
import Model
import Prompts
import Server

/// `jestry prompts test --model-url`: each example's follow-up worded by the model and checked as the engine checks
/// it, one call at a time (the command waits; no engine thread is involved).
enum ExampleWording {
    static func wording(provider: ModelProviderConfiguration, timeout: TimeInterval = 60) -> (PromptExamples.ModelWording, () -> Void) {
        let client = OpenAICompatibleChatClient(baseURL: provider.url, apiKey: provider.key, model: provider.name)
        let wording: PromptExamples.ModelWording = { request in
            switch complete(FollowUpWording.chatRequest(for: request), on: client, timeout: timeout) {
            case .failure(let failure):
                return .failure(ModelWordingFailure("the model call failed (\(failure))"))
            case .success(let text):
                switch FollowUpWordingCheck.check(text, for: request) {
                case .success(let checked): return .success(checked)
                case .failure(let rejection): return .failure(ModelWordingFailure("the engine's checks reject the model's wording (\(rejection)): \"\(text)\""))
                }
            }
        }
        return (wording, { client.invalidate() })
    }

    /// The whole answer of one streamed call.
    static func complete(_ request: ChatRequest, on model: any ChatModel, timeout: TimeInterval) -> Result<String, ModelFailure> {
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        _ = model.stream(request, timeout: timeout) { event in
            guard case .finished(let result) = event else { return }
            outcome.set(result)
            done.signal()
        }
        done.wait()
        return outcome.result ?? .failure(.transport("no answer"))
    }

    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Result<String, ModelFailure>?

        func set(_ result: Result<String, ModelFailure>) { lock.withLock { value = result } }
        var result: Result<String, ModelFailure>? { lock.withLock { value } }
    }
}
