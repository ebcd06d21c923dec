import Foundation

/// One message of a chat completion request.
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable {
        case system, user, assistant
    }
    public var role: Role
    public var content: String

    public init(_ role: Role, _ content: String) {
        self.role = role
        self.content = content
    }
}

/// What the engine asks a model for: `POST /v1/chat/completions` with `stream: true`.
public struct ChatRequest: Sendable, Equatable {
    public var messages: [ChatMessage]
    public var maxTokens: Int
    public var temperature: Double
    /// Asks for JSON matching this schema (`response_format: json_schema`), for servers that support it.
    public var jsonSchema: JSONSchemaFormat?

    public init(messages: [ChatMessage], maxTokens: Int, temperature: Double = 0.7, jsonSchema: JSONSchemaFormat? = nil) {
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.jsonSchema = jsonSchema
    }

    /// The request body for `model`.
    public func body(model: String) -> Data {
        var object: [String: Any] = [
            "model": model,
            "stream": true,
            "max_tokens": maxTokens,
            "temperature": temperature,
            "messages": messages.map { ["role": $0.role.rawValue, "content": $0.content] },
        ]
        if let jsonSchema {
            object["response_format"] = ["type": "json_schema",
                                         "json_schema": ["name": jsonSchema.name, "strict": true, "schema": jsonSchema.schema.value]]
        }
        // Strings, numbers, arrays and dictionaries only: serialisation cannot fail.
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}

/// A named JSON schema for `response_format`.
public struct JSONSchemaFormat: Sendable, Equatable {
    public var name: String
    public var schema: JSONValue

    public init(name: String, schema: JSONValue) {
        self.name = name
        self.schema = schema
    }
}

/// A JSON value that is `Sendable` and comparable: the schemas the engine sends are built from these.
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])

    /// As `JSONSerialization` takes it.
    var value: Any {
        switch self {
        case .string(let text): text
        case .number(let number): number
        case .integer(let number): number
        case .bool(let flag): flag
        case .array(let items): items.map(\.value)
        case .object(let fields): fields.mapValues(\.value)
        }
    }
}

/// Why a model call gave no text.
public enum ModelFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with this HTTP status (and the start of its body).
    case status(Int, String)
    /// No answer: the connection failed or timed out.
    case transport(String)
    /// The stream was not the chat completion stream expected (or ended before its end).
    case malformed(String)
    /// The answer passed the engine's bound on its size.
    case tooLong(limit: Int)
    /// The whole answer did not come within the call's timeout.
    case timedOut(seconds: Double)
    /// The engine cancelled it.
    case cancelled
    /// The engine's bounds on concurrent model calls were full.
    case busy

    public var description: String {
        switch self {
        case .status(let code, let body): "the model service answered \(code): \(body.prefix(200))"
        case .transport(let detail): "the model service could not be reached: \(detail)"
        case .malformed(let detail): "the model service's stream was malformed: \(detail)"
        case .tooLong(let limit): "the model's answer passed \(limit) bytes"
        case .timedOut(let seconds): "no complete answer within \(seconds) s"
        case .cancelled: "cancelled"
        case .busy: "too many model calls at once"
        }
    }
}

/// What a streamed completion reports, in order: `firstToken` at most once, then `finished` exactly once.
public enum ChatStreamEvent: Sendable, Equatable {
    case firstToken
    case finished(Result<String, ModelFailure>)
}

/// One `data:` payload of a chat completion stream.
enum ChatCompletionChunk: Equatable {
    case done
    case content(String?, finished: Bool)
    case error(String)

    static func parse(_ payload: String) -> ChatCompletionChunk? {
        if payload.trimmingCharacters(in: .whitespaces) == "[DONE]" { return .done }
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else { return nil }
        if let error = object["error"] {
            let message = (error as? [String: Any])?["message"] as? String ?? "\(error)"
            return .error(message)
        }
        guard let choices = object["choices"] as? [[String: Any]] else { return nil }
        guard let choice = choices.first else { return .content(nil, finished: false) }  // e.g. a usage-only chunk
        let delta = choice["delta"] as? [String: Any]
        let finished = !(choice["finish_reason"] is NSNull || choice["finish_reason"] == nil)
        return .content(delta?["content"] as? String, finished: finished)
    }
}
