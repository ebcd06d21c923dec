import Audio
import Foundation
import OutboundHTTP

/// Turns a stretch of speech into text. The engine calls it off the service thread; the result comes back through
/// the completion queue.
public protocol SpeechTranscriber: Sendable {
    func transcribe(_ audio: WAVFile, completion: @escaping @Sendable (Result<String, any Error>) -> Void)
}

/// A speech-to-text service with an OpenAI-compatible `POST …/v1/audio/transcriptions` endpoint (multipart form
/// with `file` and `model`, answering `{"text": "…"}`), called through the engine's `OutboundHTTPClient`.
public struct OpenAICompatibleTranscriber: SpeechTranscriber {
    public enum Failure: Error, CustomStringConvertible {
        case status(Int, String)
        case unreadableAnswer

        public var description: String {
            switch self {
            case .status(let code, let body): "the transcription service answered \(code): \(body.prefix(200))"
            case .unreadableAnswer: "the transcription service's answer has no \"text\""
            }
        }
    }

    /// The service's base URL, e.g. `https://stt.example.com`; `/v1/audio/transcriptions` is appended.
    public let baseURL: URL
    /// Sent as a bearer token; never logged.
    let apiKey: String?
    public let model: String
    public var timeout: TimeInterval = 20
    /// A transcript is a few kilobytes of JSON; a larger answer is cut off.
    public var maxResponseBytes = 256 * 1024
    let http: OutboundHTTPClient

    public init(baseURL: URL, apiKey: String?, model: String = "whisper-1", http: OutboundHTTPClient) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.http = http
    }

    public func transcribe(_ audio: WAVFile, completion: @escaping @Sendable (Result<String, any Error>) -> Void) {
        let boundary = "jestry-\(UUID().uuidString)"
        var body = Data()
        func field(_ name: String, _ value: String) {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        field("model", model)
        field("response_format", "json")
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"speech.wav\"\r\nContent-Type: audio/wav\r\n\r\n".utf8))
        body.append(audio.encoded())
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        let request = OutboundRequest(method: .post, url: baseURL.appendingPathComponent("v1/audio/transcriptions"),
                                      headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                                      body: body, bearerToken: apiKey,
                                      limits: OutboundLimits(total: timeout, maxResponseBytes: maxResponseBytes))
        http.send(request) { result in
            switch result {
            case .failure(let failure):
                completion(.failure(failure))
            case .success(let response) where response.status != 200:
                completion(.failure(Failure.status(response.status, String(decoding: response.body.prefix(1_024), as: UTF8.self))))
            case .success(let response):
                guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
                      let text = object["text"] as? String else {
                    return completion(.failure(Failure.unreadableAnswer))
                }
                completion(.success(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
        }
    }
}
