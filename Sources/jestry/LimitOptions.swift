import ArgumentParser
import Foundation
import Server

/// `jestry serve`'s limits on what one client may cost, each with its environment variable. 0 turns a connection or
/// session cap off.
struct LimitOptions: ParsableArguments {
    @Option(help: "Interview connections open at once from one address. [env: JESTRY_MAX_CONNECTIONS_PER_ADDRESS, default 64]")
    var maxConnectionsPerAddress: Int?
    @Option(help: "Interview connections open at once per account. [env: JESTRY_MAX_CONNECTIONS_PER_ACCOUNT, default 6]")
    var maxConnectionsPerAccount: Int?
    @Option(help: "Live sessions at once per account. [env: JESTRY_MAX_LIVE_SESSIONS_PER_ACCOUNT, default 3]")
    var maxLiveSessionsPerAccount: Int?
    @Option(help: "Messages a second one connection may send, sustained (bursts of three seconds' worth). [env: JESTRY_MESSAGES_PER_SECOND, default 20]")
    var messagesPerSecond: Int?
    @Option(help: "KiB of unread events queued for one connection before it is closed. [env: JESTRY_MAX_QUEUED_OUTPUT_KIB, default 512]")
    var maxQueuedOutputKib: Int?
    @Option(help: "KiB of one request's line and headers; past that the connection is closed. [env: JESTRY_MAX_REQUEST_HEAD_KIB, default 16]")
    var maxRequestHeadKib: Int?
    @Option(help: "Whole seconds a request's line and headers may take to arrive. [env: JESTRY_REQUEST_HEAD_DEADLINE_SECONDS, default 10]")
    var requestHeadDeadlineSeconds: Int?
    @Option(help: "Seconds a request body may take to arrive. [env: JESTRY_REQUEST_BODY_DEADLINE_SECONDS, default 10]")
    var requestBodyDeadlineSeconds: Double?
    @Option(help: "Seconds a connection may wait before starting a session. [env: JESTRY_SESSION_START_TIMEOUT_SECONDS, default 15]")
    var sessionStartTimeoutSeconds: Double?
    @Option(help: "Transcriptions the engine runs at once with --stt-url. [env: JESTRY_STT_MAX_IN_FLIGHT, default 2]")
    var sttMaxInFlight: Int?
    @Option(help: "Transcriptions that may wait; past that a stretch of speech stays untranscribed. [env: JESTRY_STT_MAX_QUEUED, default 8]")
    var sttMaxQueued: Int?
    @Option(help: "Seconds a transcription may take before it counts as failed. [env: JESTRY_STT_TIMEOUT_SECONDS, default 10]")
    var sttTimeoutSeconds: Double?
    @Option(help: "Sign-ins per address, as BURST/SECONDS. [env: JESTRY_LOGIN_LIMIT_PER_ADDRESS, default 20/60]")
    var loginLimitPerAddress: String?
    @Option(help: "Failed sign-ins per account, as BURST/SECONDS. [env: JESTRY_LOGIN_FAILURE_LIMIT_PER_ACCOUNT, default 10/900]")
    var loginFailureLimitPerAccount: String?
    @Option(help: "Signups per address, as BURST/SECONDS. [env: JESTRY_SIGNUP_LIMIT_PER_ADDRESS, default 10/3600]")
    var signupLimitPerAddress: String?
    @Option(help: "Signups per email address, as BURST/SECONDS. [env: JESTRY_SIGNUP_LIMIT_PER_EMAIL, default 3/3600]")
    var signupLimitPerEmail: String?
    @Option(help: "MiB of session video one account may keep; 0: no limit. [env: JESTRY_VIDEO_STORAGE_MIB, default 2048]")
    var videoStorageMib: Int?

    func apply(to configuration: inout ServerConfiguration) throws {
        if let value = try Self.whole(maxConnectionsPerAddress, "JESTRY_MAX_CONNECTIONS_PER_ADDRESS", "--max-connections-per-address") {
            configuration.maxInterviewConnectionsPerAddress = value
        }
        if let value = try Self.whole(maxConnectionsPerAccount, "JESTRY_MAX_CONNECTIONS_PER_ACCOUNT", "--max-connections-per-account") {
            configuration.maxInterviewConnectionsPerAccount = value
        }
        if let value = try Self.whole(maxLiveSessionsPerAccount, "JESTRY_MAX_LIVE_SESSIONS_PER_ACCOUNT", "--max-live-sessions-per-account") {
            configuration.maxLiveSessionsPerAccount = value
        }
        if let value = try Self.whole(messagesPerSecond, "JESTRY_MESSAGES_PER_SECOND", "--messages-per-second", minimum: 1) {
            configuration.messageLimit = RateLimit(burst: value * 3, period: 3)
        }
        if let value = try Self.whole(maxQueuedOutputKib, "JESTRY_MAX_QUEUED_OUTPUT_KIB", "--max-queued-output-kib", minimum: 16) {
            configuration.maxQueuedOutputBytes = value * 1024
        }
        if let value = try Self.whole(maxRequestHeadKib, "JESTRY_MAX_REQUEST_HEAD_KIB", "--max-request-head-kib", minimum: 4) {
            guard value <= 1_024 else { throw ValidationError("--max-request-head-kib must be at most 1024") }
            configuration.maxRequestHeadBytes = value * 1024
        }
        if let value = try Self.whole(requestHeadDeadlineSeconds, "JESTRY_REQUEST_HEAD_DEADLINE_SECONDS", "--request-head-deadline-seconds",
                                      minimum: 1) {
            guard value <= 3_600 else { throw ValidationError("--request-head-deadline-seconds must be from 1 to 3600") }
            configuration.requestHeadDeadlineSeconds = value
        }
        if let value = try Self.seconds(requestBodyDeadlineSeconds, "JESTRY_REQUEST_BODY_DEADLINE_SECONDS", "--request-body-deadline-seconds") {
            configuration.requestBodyDeadlineSeconds = value
        }
        if let value = try Self.seconds(sessionStartTimeoutSeconds, "JESTRY_SESSION_START_TIMEOUT_SECONDS", "--session-start-timeout-seconds") {
            configuration.sessionStartTimeoutSeconds = value
        }
        if let value = try Self.whole(sttMaxInFlight, "JESTRY_STT_MAX_IN_FLIGHT", "--stt-max-in-flight", minimum: 1) {
            configuration.speechToTextMaxInFlight = value
        }
        if let value = try Self.whole(sttMaxQueued, "JESTRY_STT_MAX_QUEUED", "--stt-max-queued") {
            configuration.speechToTextMaxQueued = value
        }
        if let value = try Self.seconds(sttTimeoutSeconds, "JESTRY_STT_TIMEOUT_SECONDS", "--stt-timeout-seconds") {
            configuration.speechToTextTimeoutSeconds = value
        }
        if let value = try Self.whole(videoStorageMib, "JESTRY_VIDEO_STORAGE_MIB", "--video-storage-mib") {
            configuration.videoStorageBytesPerAccount = Int64(min(value, 1 << 30)) * 1_048_576
        }
        if let limit = try Self.rate(loginLimitPerAddress, "JESTRY_LOGIN_LIMIT_PER_ADDRESS", "--login-limit-per-address") {
            configuration.loginLimitPerAddress = limit
        }
        if let limit = try Self.rate(loginFailureLimitPerAccount, "JESTRY_LOGIN_FAILURE_LIMIT_PER_ACCOUNT", "--login-failure-limit-per-account") {
            configuration.loginFailureLimitPerAccount = limit
        }
        if let limit = try Self.rate(signupLimitPerAddress, "JESTRY_SIGNUP_LIMIT_PER_ADDRESS", "--signup-limit-per-address") {
            configuration.signupLimitPerAddress = limit
        }
        if let limit = try Self.rate(signupLimitPerEmail, "JESTRY_SIGNUP_LIMIT_PER_EMAIL", "--signup-limit-per-email") {
            configuration.signupLimitPerEmail = limit
        }
    }

    static func rate(_ flag: String?, _ variable: String, _ option: String) throws -> RateLimit? {
        guard let text = flag ?? Environment.value(variable) else { return nil }
        guard let parsed = RateLimitText.parse(text) else {
            throw ValidationError("\(option) \(RateLimitText.expected), not \"\(text)\"")
        }
        return RateLimit(burst: parsed.burst, period: parsed.seconds)
    }

    static func whole(_ flag: Int?, _ variable: String, _ option: String, minimum: Int = 0) throws -> Int? {
        let value = try flag ?? Environment.value(variable).map {
            guard let number = Int($0) else { throw ValidationError("\(variable) must be a whole number, not \"\($0)\"") }
            return number
        }
        if let value, value < minimum { throw ValidationError("\(option) must be at least \(minimum)") }
        return value
    }

    static func seconds(_ flag: Double?, _ variable: String, _ option: String) throws -> Double? {
        let value = try flag ?? Environment.value(variable).map {
            guard let number = Double($0) else { throw ValidationError("\(variable) must be a number, not \"\($0)\"") }
            return number
        }
        if let value, !(value.isFinite && value >= 1 && value <= 3600) { throw ValidationError("\(option) must be from 1 to 3600") }
        return value
    }
}
