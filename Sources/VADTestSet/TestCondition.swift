import Audio
import Foundation

/// One listening condition of the test set: what is mixed with the clean speech. Every mix is deterministic (the
/// generator is seeded by the condition's and the fixture's names), so tests, the benchmark and the comparison
/// with other detectors hear the same audio.
public enum TestCondition: Sendable, Hashable, CustomStringConvertible {
    case clean
    /// Steady white noise, `snr` dB below the active speech level.
    case white(snr: Double)
    /// Steady pink noise, `snr` dB below the active speech level.
    case pink(snr: Double)
    /// Keyboard typing through speech and pauses, over a quiet room.
    case typing
    /// Mouse and pen clicks over a quiet room.
    case clicks
    /// Taps, knocks and drumming fingers over a quiet room.
    case taps
    /// Coughs over a quiet room.
    case coughs
    /// Speech 28 dB quieter than the recording (active level near -48 dBFS), over pink noise 20 dB below it.
    case quiet

    /// In table order.
    public static let all: [TestCondition] = [
        .clean, .white(snr: 20), .white(snr: 10), .white(snr: 5), .pink(snr: 20), .pink(snr: 10), .pink(snr: 5),
        .typing, .clicks, .taps, .coughs, .quiet,
    ]

    public var description: String {
        switch self {
        case .clean: "clean"
        case .white(let snr): "white-\(Int(snr))dB"
        case .pink(let snr): "pink-\(Int(snr))dB"
        case .typing: "typing"
        case .clicks: "clicks"
        case .taps: "taps"
        case .coughs: "coughs"
        case .quiet: "quiet"
        }
    }

    /// The room under the short sounds: pink noise this far below the speech.
    static let quietRoomSNR = 30.0

    /// The fixture's speech with this condition's noise, at the fixture's sample rate.
    public func mix(_ fixture: SpeechFixture) -> WAVFile {
        var speech = fixture.samples
        let rate = fixture.audio.sampleRate
        let reference = fixture.activeRMS
        var random = SeededRandom(name: "\(self)/\(fixture.name)")
        let noise: [Double]
        switch self {
        case .clean:
            return fixture.audio
        case .white(let snr):
            noise = NoiseSynthesis.white(count: speech.count, rms: reference * pow(10, -snr / 20), random: &random)
        case .pink(let snr):
            noise = NoiseSynthesis.pink(count: speech.count, rms: reference * pow(10, -snr / 20), random: &random)
        case .typing, .clicks, .taps, .coughs:
            let room = NoiseSynthesis.pink(count: speech.count, rms: reference * pow(10, -Self.quietRoomSNR / 20), random: &random)
            let sounds: [Double] = switch self {
            case .typing: NoiseSynthesis.typing(count: speech.count, rate: rate, reference: reference, random: &random)
            case .clicks: NoiseSynthesis.clicks(count: speech.count, rate: rate, reference: reference, random: &random)
            case .taps: NoiseSynthesis.taps(count: speech.count, rate: rate, reference: reference, random: &random)
            default: NoiseSynthesis.coughs(count: speech.count, rate: rate, reference: reference, random: &random)
            }
            noise = zip(room, sounds).map { $0 + $1 }
        case .quiet:
            let gain = pow(10, -48 / 20) / max(reference, 1e-9)
            speech = speech.map { $0 * gain }
            noise = NoiseSynthesis.pink(count: speech.count, rms: pow(10, -68 / 20), random: &random)
        }
        return WAVFile(sampleRate: rate, samples: zip(speech, noise).map { $0 + $1 })
    }
}
