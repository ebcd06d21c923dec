import Foundation
import Interview

extension ServerConfiguration {
    /// True when both a certificate and a key are configured: the server then speaks HTTPS and WSS only.
    public var tlsEnabled: Bool { tlsCertificatePath != nil && tlsPrivateKeyPath != nil }

    /// The interview state machine's settings that come from the configuration.
    var machineSettings: InterviewStateMachine.Settings {
        var settings = InterviewStateMachine.Settings()
        settings.billingWarningMs = billingWarningMs
        settings.sessionStartTimeoutMs = Int64(sessionStartTimeoutSeconds * 1000)
        settings.transcribesSpeech = speechToTextURL != nil
        return settings
    }

    /// Minutes each configured product sells, in milliseconds; nil for unknown products.
    func productMs(_ productID: String) -> Int64? {
        guard let minutes = products[productID], minutes.isFinite, minutes > 0, minutes <= 1_000_000 else { return nil }
        return Int64((minutes * 60_000).rounded())
    }
}
