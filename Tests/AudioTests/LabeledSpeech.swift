import Foundation
import Audio
import VADTestSet

/// The labelled test set in `Fixtures/VAD` and the detector's results on every condition, computed once per run.
enum LabeledSpeech {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/VAD")

    static let fixtures: [SpeechFixture] = {
        do { return try SpeechFixture.load(from: folder) } catch { fatalError("cannot read the fixtures in \(folder.path): \(error)") }
    }()

    struct Result: Sendable {
        var fixture: SpeechFixture
        var mix: WAVFile
        var found: [SpeechStretch]
        var score: WindowScore
    }

    /// Per condition, the detector's result on each fixture.
    static let results: [TestCondition: [Result]] = Dictionary(uniqueKeysWithValues: TestCondition.all.map { condition in
        (condition, fixtures.map { fixture in
            let mix = condition.mix(fixture)
            let found = VoiceActivityDetector.stretches(in: mix)
            return Result(fixture: fixture, mix: mix, found: found,
                          score: WindowScore(truth: fixture.speech, found: found, durationMs: mix.durationMs))
        })
    })

    static func score(_ condition: TestCondition) -> WindowScore {
        results[condition]!.reduce(WindowScore()) { $0 + $1.score }
    }
}
