import ArgumentParser
import Audio
import Foundation
import VADTestSet

extension Bench {
    /// The voice activity detector on the labelled test set: per condition, how its speech stretches agree with the
    /// true ones, and the CPU time it takes per second of audio. `--export` also writes every mix, the labels and the
    /// detector's stretches for `bench/vad/compare.py`, which runs the reference detectors on the same audio.
    struct VoiceActivity: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "vad",
                                                        abstract: "Speech detection on the labelled test set: agreement and CPU time.")

        @Option(help: "The folder of clean fixtures and labels.json.")
        var fixtures = "Tests/AudioTests/Fixtures/VAD"
        @Option(help: "Write the mixes (<condition>/<fixture>.wav), labels.json and swift.json to this folder.")
        var export: String?
        @Option(help: "Runs over the whole test set for the CPU time (the best run counts).")
        var runs = 5

        func run() throws {
            let fixtures = try SpeechFixture.load(from: URL(fileURLWithPath: fixtures))
            let mixes = TestCondition.all.map { condition in (condition, fixtures.map { condition.mix($0) }) }
            let audioSeconds = Double(mixes.reduce(0) { $0 + $1.1.reduce(0) { $0 + $1.durationMs } }) / 1000

            // Only the detector is timed, in CPU time of this thread so other work on the machine does not count.
            let framed = mixes.map { $0.1.map { ($0.sampleRate, $0.frames(milliseconds: 20)) } }
            var bestNs = UInt64.max
            var events: [[[VoiceActivityDetector.Event]]] = []
            for _ in 0..<max(1, runs) {
                let started = Self.threadCPUNanoseconds()
                events = framed.map { condition in
                    condition.map { rate, frames in
                        var detector = VoiceActivityDetector(sampleRate: rate)
                        var heard: [VoiceActivityDetector.Event] = []
                        for frame in frames { heard += detector.process(frame) }
                        return heard
                    }
                }
                bestNs = min(bestNs, Self.threadCPUNanoseconds() - started)
            }
            let found = zip(mixes, events).map { mix, events in
                zip(mix.1, events).map { SpeechStretch.stretches(from: $1, endMs: $0.durationMs) }
            }
            let microsPerSecond = Double(bestNs) / 1_000 / audioSeconds

            Console.line("condition     stretches  agreement  missed  false")
            var total = WindowScore()
            for ((condition, audio), stretches) in zip(mixes, found) {
                let score = zip(fixtures, zip(audio, stretches)).reduce(WindowScore()) { sum, item in
                    sum + WindowScore(truth: item.0.speech, found: item.1.1, durationMs: item.1.0.durationMs)
                }
                total = total + score
                Console.line(String(format: "%@ %5d/%-5d %8.3f %7.1f%% %5.1f%%",
                                    "\(condition)".padding(toLength: 13, withPad: " ", startingAt: 0),
                                    score.trueStretches, score.foundStretches, score.agreement,
                                    100 * score.missedSpeech, 100 * score.falseSpeech))
            }
            Console.line(String(format: "all %d conditions: agreement %.3f; %.1f µs of CPU per second of audio (%.0f s of audio, best of %d runs)",
                                mixes.count, total.agreement, microsPerSecond, audioSeconds, max(1, runs)))
            if let export { try write(to: URL(fileURLWithPath: export), fixtures: fixtures, mixes: mixes, found: found, microsPerSecond: microsPerSecond) }
        }

        private func write(to folder: URL, fixtures: [SpeechFixture], mixes: [(TestCondition, [WAVFile])],
                           found: [[[SpeechStretch]]], microsPerSecond: Double) throws {
            struct Export: Encodable {
                var conditions: [String]
                var fixtures: [String]
                var labels: [String: [[Int64]]]
                var swift: [String: [String: [[Int64]]]]
                var swiftMicrosPerAudioSecond: Double
            }
            for (condition, audio) in mixes {
                let subfolder = folder.appendingPathComponent("\(condition)")
                try FileManager.default.createDirectory(at: subfolder, withIntermediateDirectories: true)
                for (fixture, wav) in zip(fixtures, audio) {
                    try wav.encoded().write(to: subfolder.appendingPathComponent("\(fixture.name).wav"))
                }
            }
            let pairs = { (stretches: [SpeechStretch]) in stretches.map { [$0.startMs, $0.endMs] } }
            let export = Export(
                conditions: mixes.map { "\($0.0)" }, fixtures: fixtures.map(\.name),
                labels: Dictionary(uniqueKeysWithValues: fixtures.map { ($0.name, pairs($0.speech)) }),
                swift: Dictionary(uniqueKeysWithValues: zip(mixes, found).map { mix, stretches in
                    ("\(mix.0)", Dictionary(uniqueKeysWithValues: zip(fixtures, stretches).map { ($0.name, pairs($1)) }))
                }),
                swiftMicrosPerAudioSecond: microsPerSecond)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(export).write(to: folder.appendingPathComponent("results.json"))
            Console.line("wrote \(mixes.count * fixtures.count) mixes and results.json to \(folder.path)")
        }

        static func threadCPUNanoseconds() -> UInt64 {
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
        }
    }
}
