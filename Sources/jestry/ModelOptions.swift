import ArgumentParser
import Foundation
import Interview
import Server

/// `jestry serve`'s model provider: without `--model-url` the engine keeps the template interviewer.
struct ModelOptions: ParsableArguments {
    @Option(help: "An OpenAI-compatible chat completions service that words follow-ups, e.g. http://127.0.0.1:8092 (key in JESTRY_MODEL_KEY). [env: JESTRY_MODEL_URL]")
    var modelURL: String?
    @Option(help: "The model to ask for; stored with every question it worded. [env: JESTRY_MODEL_NAME, default \"default\"]")
    var modelName: String?
    @Option(help: "Milliseconds a follow-up's first token may take before the template's text is asked. [env: JESTRY_MODEL_FIRST_TOKEN_MS, default 1000]")
    var modelFirstTokenMs: Int?
    @Option(help: "Milliseconds a follow-up's whole wording may take. [env: JESTRY_MODEL_TOTAL_MS, default 2500]")
    var modelTotalMs: Int?
    @Option(help: "Milliseconds the connection stays open after session.ended for the model's written report (report.written). [env: JESTRY_MODEL_REPORT_WAIT_MS, default 8000]")
    var modelReportWaitMs: Int?
    @Option(help: "Model calls the engine runs at once. [env: JESTRY_MODEL_MAX_IN_FLIGHT, default 4]")
    var modelMaxInFlight: Int?
    @Option(help: "Model calls that may wait; past that the template is used at once. [env: JESTRY_MODEL_MAX_QUEUED, default 16]")
    var modelMaxQueued: Int?

    /// The provider, or nil without a URL. The key comes only from the environment, so it never shows in `ps`.
    func provider() throws -> ModelProviderConfiguration? {
        guard var provider = try Self.provider(url: modelURL, name: modelName) else { return nil }
        let firstToken = try LimitOptions.whole(modelFirstTokenMs, "JESTRY_MODEL_FIRST_TOKEN_MS", "--model-first-token-ms", minimum: 1)
        let total = try LimitOptions.whole(modelTotalMs, "JESTRY_MODEL_TOTAL_MS", "--model-total-ms", minimum: 1)
        let budget = ModelLatencyBudget(firstTokenMs: Int64(firstToken ?? 1_000), totalMs: Int64(total ?? 2_500))
        guard budget.firstTokenMs <= 60_000, budget.totalMs <= 60_000 else {
            throw ValidationError("--model-first-token-ms and --model-total-ms must be at most 60000")
        }
        provider.budget = budget
        if let wait = try LimitOptions.whole(modelReportWaitMs, "JESTRY_MODEL_REPORT_WAIT_MS", "--model-report-wait-ms", minimum: 0) {
            guard wait <= 60_000 else { throw ValidationError("--model-report-wait-ms must be at most 60000") }
            provider.reportWaitMs = Int64(wait)
        }
        if let value = try LimitOptions.whole(modelMaxInFlight, "JESTRY_MODEL_MAX_IN_FLIGHT", "--model-max-in-flight", minimum: 1) {
            provider.maxInFlight = value
        }
        if let value = try LimitOptions.whole(modelMaxQueued, "JESTRY_MODEL_MAX_QUEUED", "--model-max-queued") {
            provider.maxQueued = value
        }
        return provider
    }

    /// The service, its model name and key (`--model-url`, `--model-name`, `JESTRY_MODEL_KEY`), with default bounds.
    static func provider(url: String?, name: String?) throws -> ModelProviderConfiguration? {
        guard let url = url ?? Environment.value("JESTRY_MODEL_URL") else { return nil }
        guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil else {
            throw ValidationError("--model-url must be an http(s) URL, not \"\(url)\"")
        }
        return ModelProviderConfiguration(url: parsed, key: Environment.value("JESTRY_MODEL_KEY"),
                                          name: name ?? Environment.value("JESTRY_MODEL_NAME") ?? "default")
    }
}
