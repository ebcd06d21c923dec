import Foundation
import Interview

/// A JSON request body the API decodes into a `Decodable` type, with the error a person reads when a field is
/// missing or of the wrong type.
protocol RequestBody: Decodable {
    /// The `400 invalid_field` message for a problem with `field` (`missing`: absent or null).
    static func problem(field: String, missing: Bool) -> String
}

/// Thrown from a body's own `init(from:)` for a problem that is not about one field's type (an unknown field).
struct RequestBodyProblem: Error {
    var message: String
}

extension HTTPRequest {
    /// The body decoded as `Body`, or the 400 that says what is wrong with it.
    func decodeBody<Body: RequestBody>(_: Body.Type) -> Result<Body, HTTPResponse> {
        guard !body.isEmpty else { return .failure(.error(400, "empty_body", "The request needs a JSON object body.")) }
        // Before the decoder: one too deep at the last byte would crash it (`JSONNesting`).
        guard JSONNesting.isWithinLimit(body) else {
            return .failure(.error(400, "invalid_json", "The request body nests arrays or objects more than \(JSONNesting.maxDepth) levels deep."))
        }
        do {
            return .success(try JSONDecoder().decode(Body.self, from: body))
        } catch let problem as RequestBodyProblem {
            return .failure(.error(400, "invalid_field", problem.message))
        } catch DecodingError.keyNotFound(let key, _) {
            return .failure(.error(400, "invalid_field", Body.problem(field: key.stringValue, missing: true)))
        } catch DecodingError.valueNotFound(_, let context) where !context.codingPath.isEmpty {
            return .failure(.error(400, "invalid_field", Body.problem(field: context.codingPath[0].stringValue, missing: true)))
        } catch DecodingError.typeMismatch(_, let context) where !context.codingPath.isEmpty {
            return .failure(.error(400, "invalid_field", Body.problem(field: context.codingPath[0].stringValue, missing: false)))
        } catch DecodingError.typeMismatch {
            return .failure(.error(400, "invalid_json", "The request body must be a JSON object."))
        } catch {
            return .failure(.error(400, "invalid_json", "The request body is not valid JSON."))
        }
    }
}

/// `POST /v1/accounts`.
struct SignupBody: RequestBody {
    var name: String
    var email: String
    var password: String
    var birthDate: String

    enum CodingKeys: String, CodingKey {
        case name, email, password, birthDate = "birth_date"
    }

    static func problem(field: String, missing: Bool) -> String { "The field \"\(field)\" is required and must be a string." }
}

/// `POST /v1/login`.
struct LoginBody: RequestBody {
    var email: String
    var password: String

    static func problem(field: String, missing: Bool) -> String { "Send \"email\" and \"password\" as strings." }
}

/// `PATCH /v1/me`: only the name and the email can be corrected; the password confirms an email change.
struct AccountCorrectionBody: RequestBody {
    var name: String?
    var email: String?
    var password: String?
    var modelProcessing: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, email, password, modelProcessing = "model_processing"
    }

    init(from decoder: any Decoder) throws {
        let all = try decoder.container(keyedBy: AnyCodingKey.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = all.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw RequestBodyProblem(message: "\"\(unknown)\" cannot be changed here; send only \"name\", \"email\" and/or \"model_processing\".")
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        email = try container.decodeIfPresent(String.self, forKey: .email)
        password = try container.decodeIfPresent(String.self, forKey: .password)
        modelProcessing = try container.decodeIfPresent(Bool.self, forKey: .modelProcessing)
    }

    static func problem(field: String, missing: Bool) -> String {
        field == "model_processing" ? "The field \"model_processing\" must be true or false." : "The field \"\(field)\" must be a string."
    }
}

/// `DELETE /v1/account`: the password confirms it. A missing or non-string password is a wrong one.
struct AccountDeletionBody: RequestBody {
    var password: String?

    enum CodingKeys: String, CodingKey {
        case password
    }

    init(from decoder: any Decoder) throws {
        password = try? decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .password)
    }

    static func problem(field: String, missing: Bool) -> String { "The field \"\(field)\" must be a string." }
}

/// Any key of a JSON object, for finding the ones a body does not know.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
