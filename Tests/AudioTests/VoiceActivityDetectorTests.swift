import Foundation
import Testing
import Audio
import VADTestSet

@Suite struct VoiceActivityDetectorTests {
    typealias Event = VoiceActivityDetector.Event

    func starts(_ events: [Event]) -> [Int64] { events.compactMap { if case .speechStarted(let at) = $0 { at } else { nil } } }
    func stops(_ events: [Event]) -> [Int64] { events.compactMap { if case .speechStopped(let at) = $0 { at } else { nil } } }

    @Test func findsRealSpeechBetweenSilences() throws {
        let speech = try SyntheticAudio.speech("At my last job I led a migration that cut costs by forty percent.")
        let events = SyntheticAudio.detect(SyntheticAudio.silence(ms: 1_000) + speech.pcm16 + SyntheticAudio.silence(ms: 3_000))
        let first = try #require(starts(events).first)
        let last = try #require(stops(events).last)
        // espeak leaves a little silence around the words; the detector must land close to the real edges.
        #expect(abs(first - 1_000) <= 300, "speech started at \(first) ms")
        #expect(abs(last - (1_000 + speech.durationMs)) <= 600, "speech stopped at \(last) ms, audio ended at \(1_000 + speech.durationMs)")
        #expect(starts(events).count == stops(events).count)
        // Gaps between words are bridged: a sentence is one or a few segments, not one per word.
        #expect(starts(events).count <= 3)
    }

    @Test func speechIsFoundOverSteadyRoomNoise() throws {
        let speech = try SyntheticAudio.speech("We shipped the feature two weeks early.")
        let clean = SyntheticAudio.silence(ms: 1_500) + speech.pcm16 + SyntheticAudio.silence(ms: 2_000)
        let noisy = SyntheticAudio.mix(clean, SyntheticAudio.noise(ms: 1_500 + Int(speech.durationMs) + 2_000, dbfs: -45))
        let events = SyntheticAudio.detect(noisy)
        let first = try #require(starts(events).first)
        #expect(abs(first - 1_500) <= 400, "speech started at \(first) ms")
        #expect(stops(events).count == starts(events).count)
    }

    @Test func silenceAndSteadyNoiseAreNotSpeech() {
        #expect(SyntheticAudio.detect(SyntheticAudio.silence(ms: 5_000)).isEmpty)
        #expect(SyntheticAudio.detect(SyntheticAudio.noise(ms: 5_000, dbfs: -40)).isEmpty)
    }

    @Test func aCoughIsNotSpeechButAShortMhmIs() {
        let cough = SyntheticAudio.silence(ms: 1_000) + SyntheticAudio.noise(ms: 200, dbfs: -15) + SyntheticAudio.silence(ms: 2_000)
        #expect(SyntheticAudio.detect(cough).isEmpty)
        // A hummed "mhm" of 300 ms is an answer too; a 60 ms blip of the same pitch is not.
        let mhm = SyntheticAudio.silence(ms: 1_000) + SyntheticAudio.tone(ms: 300) + SyntheticAudio.silence(ms: 2_000)
        #expect(starts(SyntheticAudio.detect(mhm)) == [1_000])
        let blip = SyntheticAudio.silence(ms: 1_000) + SyntheticAudio.tone(ms: 60) + SyntheticAudio.silence(ms: 2_000)
        #expect(SyntheticAudio.detect(blip).isEmpty)
        let hum = SyntheticAudio.silence(ms: 1_000) + SyntheticAudio.tone(ms: 1_500) + SyntheticAudio.silence(ms: 2_000)
        #expect(starts(SyntheticAudio.detect(hum)) == [1_000])
    }

    /// The short loud sounds of a room, with no one speaking, never become speech.
    @Test(arguments: ["typing", "clicks", "taps", "coughs"])
    func roomSoundsAloneAreNotSpeech(sound: String) {
        var random = SeededRandom(name: "alone/\(sound)")
        let count = SyntheticAudio.rate * 20
        let reference = 0.1  // sounds as loud as speech at -20 dBFS
        let sounds: [Double] = switch sound {
        case "typing": NoiseSynthesis.typing(count: count, rate: SyntheticAudio.rate, reference: reference, random: &random)
        case "clicks": NoiseSynthesis.clicks(count: count, rate: SyntheticAudio.rate, reference: reference, random: &random)
        case "taps": NoiseSynthesis.taps(count: count, rate: SyntheticAudio.rate, reference: reference, random: &random)
        default: NoiseSynthesis.coughs(count: count, rate: SyntheticAudio.rate, reference: reference, random: &random)
        }
        let room = NoiseSynthesis.pink(count: count, rms: 0.003, random: &random)
        let audio = WAVFile(sampleRate: SyntheticAudio.rate, samples: zip(sounds, room).map { $0 + $1 })
        #expect(VoiceActivityDetector.stretches(in: audio).isEmpty)
    }

    @Test func clippingIsMeasured() {
        var detector = VoiceActivityDetector(sampleRate: SyntheticAudio.rate)
        _ = detector.process(SyntheticAudio.tone(ms: 100, dbfs: 0))  // a full-scale sine: peaks clip
        #expect(detector.lastClippedFraction > 0.05)
        _ = detector.process(SyntheticAudio.tone(ms: 100, dbfs: -20))
        #expect(detector.lastClippedFraction == 0)
        #expect(abs(detector.lastLevelDBFS + 20) < 1)
    }

    @Test func framesOfAnySizeGiveTheSameEvents() throws {
        let speech = try SyntheticAudio.speech("Hello there, I am ready.")
        let audio = SyntheticAudio.silence(ms: 600) + speech.pcm16 + SyntheticAudio.silence(ms: 1_500)
        var detector = VoiceActivityDetector(sampleRate: SyntheticAudio.rate)
        let odd = stride(from: 0, to: audio.count, by: 998).flatMap { detector.process(audio.subdata(in: $0..<min($0 + 998, audio.count))) }
        #expect(odd == SyntheticAudio.detect(audio))
    }

    @Test func resamplingKeepsDurationAndLevel() {
        let tone = SyntheticAudio.tone(ms: 1_000, dbfs: -20)
        let up = Resampler.resample(tone, from: 16_000, to: 48_000)
        #expect(up.count == tone.count * 3)
        let down = Resampler.resample(up, from: 48_000, to: 16_000)
        #expect(down.count == tone.count)
        var detector = VoiceActivityDetector(sampleRate: 48_000)
        _ = detector.process(up)
        #expect(abs(detector.lastLevelDBFS + 20) < 1)
    }
}
