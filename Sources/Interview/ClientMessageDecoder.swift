import Foundation

/// Turns a text frame into a `ClientEnvelope`, or a specific `ProtocolError` saying what is wrong with it.
///
/// Fields are decoded with their JSON types checked strictly: `true` is not a number, `"16000"` is not a sample
/// rate, and `null` counts as absent.
public enum ClientMessageDecoder {
    /// The protocol version this engine speaks; `session.start` may name it in `protocol`.
    public static let protocolVersion = 1

    public static func decode(_ frame: Data) -> Result<ClientEnvelope, ProtocolError> {
        // Before the decoder: one too deep at the last byte would crash it (`JSONNesting`).
        guard JSONNesting.isWithinLimit(frame) else {
            return .failure(ProtocolError(.invalidJSON, "The message nests arrays or objects more than \(JSONNesting.maxDepth) levels deep."))
        }
        // One parse: JSONDecoder reads the fields with their types checked, and its errors tell bad JSON apart from
        // JSON that is not an object.
        let fields: MessageFields
        do {
            fields = try JSONDecoder().decode(MessageFields.self, from: frame)
        } catch let error as ProtocolError {
            return .failure(error)
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            return .failure(ProtocolError(.invalidJSON, "A message must be a JSON object with a \"type\" field."))
        } catch {
            return .failure(ProtocolError(.invalidJSON, "The message is not valid JSON."))
        }
        do throws(ProtocolError) {
            guard let type = try fields.type.get() else {
                throw ProtocolError(.invalidMessage, "The message has no \"type\" string.")
            }
            return .success(ClientEnvelope(id: fields.id, try message(type: type, fields: fields)))
        } catch {
            var error = error
            error.requestID = fields.id
            return .failure(error)
        }
    }

    private static func message(type: String, fields: MessageFields) throws(ProtocolError) -> ClientMessage {
        switch type {
        case "session.start":
            if let version = try fields.protocolVersion.get(), version != protocolVersion {
                throw ProtocolError(.unsupportedProtocolVersion,
                                    "This server speaks protocol version \(protocolVersion); \"protocol\" was \(version).")
            }
            guard let track = try fields.track.get() else { throw missing("track", in: type) }
            var mode = InterviewMode.text
            if let text = try fields.mode.get() {
                guard let parsed = InterviewMode(rawValue: text) else {
                    throw ProtocolError(.invalidMessage, "\"mode\" must be \"text\" or \"voice\", not \"\(text)\".")
                }
                mode = parsed
            }
            let rate = try fields.sampleRate.get() ?? SessionStartRequest.defaultSampleRate
            guard SessionStartRequest.supportedSampleRates.contains(rate) else {
                let rates = SessionStartRequest.supportedSampleRates.sorted().map(String.init).joined(separator: ", ")
                throw ProtocolError(.unsupportedSampleRate, "Sample rate \(rate) is not supported; use one of \(rates).")
            }
            return .sessionStart(SessionStartRequest(trackID: track, mode: mode, sampleRate: rate, record: try fields.record.get() ?? false))
        case "answer.text":
            return .answerText(try text(of: fields, in: type))
        case "transcript.partial":
            return .transcriptPartial(try text(of: fields, in: type), questionID: try fields.questionID.get())
        case "transcript.final":
            return .transcriptFinal(try text(of: fields, in: type), questionID: try fields.questionID.get())
        case "playback.started", "playback.stopped":
            guard let questionID = try fields.questionID.get() else { throw missing("question_id", in: type) }
            return .playback(questionID: questionID, playing: type == "playback.started")
        case "session.resume":
            guard let sessionID = try fields.sessionID.get() else { throw missing("session_id", in: type) }
            guard let token = try fields.resumeToken.get() else { throw missing("resume_token", in: type) }
            return .sessionResume(sessionID: sessionID, resumeToken: token)
        case "answer.done":
            return .answerDone
        case "session.end":
            return .sessionEnd
        default:
            throw ProtocolError(.unknownType, "Unknown message type \"\(type)\".")
        }
    }

    private static func text(of fields: MessageFields, in type: String) throws(ProtocolError) -> String {
        guard let text = try fields.text.get() else { throw missing("text", in: type) }
        return text
    }

    private static func missing(_ field: String, in type: String) -> ProtocolError {
        ProtocolError(.invalidMessage, "\"\(type)\" needs a \"\(field)\" field.")
    }
}

/// Every field a client message may carry, each decoded with its exact JSON type. A field of the wrong type is an
/// error only for a message that uses it, so clients may send extra fields.
private struct MessageFields: Decodable {
    var id: String?
    var type: Result<String?, ProtocolError>
    var track: Result<String?, ProtocolError>
    var mode: Result<String?, ProtocolError>
    var sampleRate: Result<Int?, ProtocolError>
    var protocolVersion: Result<Int?, ProtocolError>
    var text: Result<String?, ProtocolError>
    var questionID: Result<String?, ProtocolError>
    var record: Result<Bool?, ProtocolError>
    var sessionID: Result<String?, ProtocolError>
    var resumeToken: Result<String?, ProtocolError>

    enum CodingKeys: String, CodingKey {
        case type, id, track, mode, sampleRate = "sample_rate", protocolVersion = "protocol", text
        case questionID = "question_id", record, sessionID = "session_id", resumeToken = "resume_token"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // The id first, so every error about the other fields can echo it.
        if let text = try? container.decodeIfPresent(String.self, forKey: .id) {
            id = text
        } else if let number = try? container.decodeIfPresent(Int.self, forKey: .id) {
            id = String(number)
        } else if container.contains(.id), try !container.decodeNil(forKey: .id) {
            throw ProtocolError(.invalidMessage, "\"id\" must be a string or a whole number.")
        }
        func field<T: Decodable>(_ key: CodingKeys, _ what: String) -> Result<T?, ProtocolError> {
            do {
                return .success(try container.decodeIfPresent(T.self, forKey: key))
            } catch {
                return .failure(ProtocolError(.invalidMessage, "\"\(key.stringValue)\" must be \(what)."))
            }
        }
        type = field(.type, "a string")
        track = field(.track, "a string")
        mode = field(.mode, "\"text\" or \"voice\"")
        sampleRate = field(.sampleRate, "a whole number of samples per second")
        protocolVersion = field(.protocolVersion, "a whole number")
        text = field(.text, "a string")
        questionID = field(.questionID, "a string")
        record = field(.record, "true or false")
        sessionID = field(.sessionID, "a string")
        resumeToken = field(.resumeToken, "a string")
    }
}
