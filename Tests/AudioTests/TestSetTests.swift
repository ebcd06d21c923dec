import Foundation
import Testing
import Audio
import VADTestSet

/// The test set itself: labels that match the clean audio, mixes at the levels their names promise, and the same
/// audio on every run.
@Suite struct TestSetTests {
    @Test func labelsComeFromTheCleanSignal() {
        for fixture in LabeledSpeech.fixtures {
            // The rule of bench/vad/make_fixtures.py: 10 ms blocks peaking at 64 or more, gaps under 300 ms bridged.
            let samples = fixture.audio.pcm16.withUnsafeBytes { raw in
                (0..<raw.count / 2).map { Int(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self))) }
            }
            var stretches: [SpeechStretch] = []
            for (block, start) in stride(from: 0, to: samples.count, by: 160).enumerated() {
                guard samples[start..<min(samples.count, start + 160)].contains(where: { abs($0) >= 64 }) else { continue }
                let ms = Int64(block * 10)
                if let last = stretches.last, ms - last.endMs < 300 {
                    stretches[stretches.count - 1].endMs = ms + 10
                } else {
                    stretches.append(SpeechStretch(startMs: ms, endMs: ms + 10))
                }
            }
            #expect(stretches == fixture.speech, "\(fixture.name)")
            // Sentences are placed at least 700 ms apart; the 10 ms blocks can take 10 ms of that.
            #expect(zip(fixture.speech, fixture.speech.dropFirst()).allSatisfy { $1.startMs - $0.endMs >= 690 })
        }
    }

    @Test(arguments: [TestCondition.white(snr: 10), .pink(snr: 5), .white(snr: 20)])
    func steadyNoiseIsAtItsSNR(condition: TestCondition) throws {
        let fixture = try #require(LabeledSpeech.fixtures.first)
        let clean = fixture.samples
        let noise = zip(condition.mix(fixture).samples, clean).map { $0 - $1 }
        let noiseRMS = (noise.reduce(0) { $0 + $1 * $1 } / Double(noise.count)).squareRoot()
        let snr: Double = switch condition { case .white(let snr), .pink(let snr): snr; default: 0 }
        #expect(abs(20 * log10(fixture.activeRMS / noiseRMS) - snr) < 0.2)
    }

    @Test func quietSpeechIsQuiet() throws {
        let fixture = try #require(LabeledSpeech.fixtures.first)
        let quiet = SpeechFixture(name: fixture.name, audio: TestCondition.quiet.mix(fixture), speech: fixture.speech)
        #expect(abs(20 * log10(quiet.activeRMS) + 48) < 0.5)
    }

    @Test func mixesAreTheSameOnEveryRun() throws {
        let fixture = try #require(LabeledSpeech.fixtures.first)
        #expect(TestCondition.typing.mix(fixture) == TestCondition.typing.mix(fixture))
        #expect(TestCondition.typing.mix(fixture) != TestCondition.clicks.mix(fixture))
    }

    @Test func windowScoreCountsWindows() {
        let truth = [SpeechStretch(startMs: 100, endMs: 300)]
        let score = WindowScore(truth: truth, found: [SpeechStretch(startMs: 140, endMs: 400)], durationMs: 1_000)
        #expect(score.windows == 50)
        #expect(score.speechWindows == 10 && score.missedWindows == 2)
        #expect(score.silenceWindows == 40 && score.falseWindows == 5)
        #expect(score.agreeing == 43)
    }
}
