import ArgumentParser
import Foundation
import Server

/// `jestry serve`'s options for TLS, origins, the payment webhook and billing, with their environment variables.
struct AccountOptions {
    var tlsCert: String?
    var tlsKey: String?
    var allowedOrigins: [String]
    var products: String?
    var billingWarningSeconds: Double?

    func apply(to configuration: inout ServerConfiguration) throws {
        let certificate = tlsCert ?? Environment.value("JESTRY_TLS_CERT")
        let key = tlsKey ?? Environment.value("JESTRY_TLS_KEY")
        switch (certificate, key) {
        case (nil, nil):
            break
        case (let certificate?, let key?):
            for (option, path) in [("--tls-cert", certificate), ("--tls-key", key)]
            where !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationError("\(option): cannot read \(path)")
            }
            configuration.tlsCertificatePath = certificate
            configuration.tlsPrivateKeyPath = key
        default:
            throw ValidationError("--tls-cert and --tls-key go together: give both, or neither")
        }

        var origins = allowedOrigins
        if origins.isEmpty, let listed = Environment.value("JESTRY_ALLOWED_ORIGINS") {
            origins = listed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        for origin in origins where URLComponents(string: origin)?.host == nil
            || !["http", "https"].contains(URLComponents(string: origin)?.scheme ?? "") {
            throw ValidationError("--allowed-origin must look like https://app.example.com, not \"\(origin)\"")
        }
        configuration.allowedOrigins = origins

        // Secrets only from the environment: command-line arguments are visible to every user in `ps`.
        var secrets = (Environment.value("JESTRY_WEBHOOK_SECRETS") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let single = Environment.value("JESTRY_WEBHOOK_SECRET") { secrets.insert(single, at: 0) }
        configuration.webhookSecrets = secrets

        if let file = products ?? Environment.value("JESTRY_PRODUCTS") {
            configuration.products = try Self.loadProducts(URL(fileURLWithPath: file))
        }
        if let seconds = try billingWarningSeconds ?? Environment.value("JESTRY_BILLING_WARNING_SECONDS").map({
            guard let number = Double($0) else {
                throw ValidationError("JESTRY_BILLING_WARNING_SECONDS must be a number, not \"\($0)\"")
            }
            return number
        }) {
            guard seconds.isFinite, seconds >= 0, seconds <= 3600 else {
                throw ValidationError("--billing-warning-seconds must be from 0 to 3600")
            }
            configuration.billingWarningMs = Int64((seconds * 1000).rounded())
        }
    }

    /// `{"minutes-30": 30, "minutes-60": 60}`: product id → minutes it sells.
    static func loadProducts(_ file: URL) throws -> [String: Double] {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw ValidationError("--products: cannot read \(file.path)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("--products: \(file.path) must be a JSON object of product id → minutes, e.g. {\"minutes-60\": 60}")
        }
        var products: [String: Double] = [:]
        for (id, value) in object {
            guard id.range(of: "^[A-Za-z0-9_.:-]{1,255}$", options: .regularExpression) != nil else {
                throw ValidationError("--products: product ids use only letters, digits, '_', '-', '.' and ':', not \"\(id)\"")
            }
            guard let minutes = value as? Double, minutes.isFinite, minutes > 0, minutes <= 1_000_000, !(value is Bool) else {
                throw ValidationError("--products: \"\(id)\" must sell a positive number of minutes (at most 1000000)")
            }
            products[id] = minutes
        }
        return products
    }
}
