import Audio
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Turns a stretch of speech into text. The engine calls it off the service thread; the result comes back through
/// the completion queue.
public protocol SpeechTranscriber: Sendable {
    func transcribe(_ audio: WAVFile, completion: @escaping @Sendable (Result<String, any Error>) -> Void)
}

/// A speech-to-text service with an OpenAI-compatible `POST …/v1/audio/transcriptions` endpoint (multipart form
/// with `file` and `model`, answering `{"text": "…"}`).
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

    public init(baseURL: URL, apiKey: String?, model: String = "whisper-1") {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
    }

    public func transcribe(_ audio: WAVFile, completion: @escaping @Sendable (Result<String, any Error>) -> Void) {
        let boundary = "jestry-\(UUID().uuidString)"
        var request = URLRequest(url: baseURL.appendingPathComponent("v1/audio/transcriptions"), timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        var body = Data()
        func field(_ name: String, _ value: String) {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        field("model", model)
        field("response_format", "json")
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"speech.wav\"\r\nContent-Type: audio/wav\r\n\r\n".utf8))
        body.append(audio.encoded())
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        request.httpBody = body
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { return completion(.failure(error)) }
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard status == 200 else {
                return completion(.failure(Failure.status(status, String(decoding: data ?? Data(), as: UTF8.self))))
            }
            guard let data, let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let text = object["text"] as? String else {
                return completion(.failure(Failure.unreadableAnswer))
            }
            completion(.success(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        }.resume()
    }
}
