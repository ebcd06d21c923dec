import Foundation

/// Turns a text frame into a `ClientEnvelope`, or a specific `ProtocolError` saying what is wrong with it.
public enum ClientMessageDecoder {
    /// The protocol version this engine speaks; `session.start` may name it in `protocol`.
    public static let protocolVersion = 1

    public static func decode(_ frame: Data) -> Result<ClientEnvelope, ProtocolError> {
        guard let object = try? JSONSerialization.jsonObject(with: frame, options: [.fragmentsAllowed]) else {
            return .failure(ProtocolError(.invalidJSON, "The message is not valid JSON."))
        }
        guard let fields = object as? [String: Any] else {
            return .failure(ProtocolError(.invalidJSON, "A message must be a JSON object with a \"type\" field."))
        }
        let id = fields["id"].flatMap(Self.idString)
        if fields["id"] != nil && id == nil {
            return .failure(ProtocolError(.invalidMessage, "\"id\" must be a string or a number."))
        }
        guard let type = fields["type"] as? String else {
            return .failure(ProtocolError(.invalidMessage, "The message has no \"type\" string.", requestID: id))
        }
        do {
            return .success(ClientEnvelope(id: id, try message(type: type, fields: fields)))
        } catch var error as ProtocolError {
            error.requestID = id
            return .failure(error)
        } catch {
            return .failure(ProtocolError(.internalError, "\(error)", requestID: id))
        }
    }

    private static func message(type: String, fields: [String: Any]) throws -> ClientMessage {
        switch type {
        case "session.start":
            if let version = fields["protocol"] {
                guard let number = version as? Int, number == protocolVersion else {
                    throw ProtocolError(.unsupportedProtocolVersion,
                                        "This server speaks protocol version \(protocolVersion); \"protocol\" was \(version).")
                }
            }
            let track = try string("track", in: fields)
            let mode: InterviewMode
            if let raw = fields["mode"] {
                guard let text = raw as? String, let parsed = InterviewMode(rawValue: text) else {
                    throw ProtocolError(.invalidMessage, "\"mode\" must be \"text\" or \"voice\".")
                }
                mode = parsed
            } else {
                mode = .text
            }
            var rate = SessionStartRequest.defaultSampleRate
            if let raw = fields["sample_rate"] {
                guard let number = raw as? Int else {
                    throw ProtocolError(.invalidMessage, "\"sample_rate\" must be a whole number of samples per second.")
                }
                guard SessionStartRequest.supportedSampleRates.contains(number) else {
                    let rates = SessionStartRequest.supportedSampleRates.sorted().map(String.init).joined(separator: ", ")
                    throw ProtocolError(.unsupportedSampleRate, "Sample rate \(number) is not supported; use one of \(rates).")
                }
                rate = number
            }
            return .sessionStart(SessionStartRequest(trackID: track, mode: mode, sampleRate: rate))
        case "answer.text":
            return .answerText(try string("text", in: fields))
        case "transcript.partial":
            return .transcriptPartial(try string("text", in: fields))
        case "transcript.final":
            return .transcriptFinal(try string("text", in: fields))
        case "answer.done":
            return .answerDone
        case "session.end":
            return .sessionEnd
        default:
            throw ProtocolError(.unknownType, "Unknown message type \"\(type)\".")
        }
    }

    private static func string(_ name: String, in fields: [String: Any]) throws -> String {
        guard let value = fields[name] else {
            throw ProtocolError(.invalidMessage, "\"\(fields["type"] ?? "")\" needs a \"\(name)\" field.")
        }
        guard let text = value as? String else {
            throw ProtocolError(.invalidMessage, "\"\(name)\" must be a string.")
        }
        return text
    }

    private static func idString(_ value: Any) -> String? {
        if let text = value as? String { return text }
        if let number = value as? NSNumber, !(value is Bool) { return number.stringValue }
        return nil
    }
}
