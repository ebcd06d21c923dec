import Audio
import Foundation

/// How a detector's speech stretches compare with the true ones, on 20 ms windows: a window is speech when at least
/// half of it lies inside a stretch, for the truth and the detector alike.
public struct WindowScore: Sendable, Equatable {
    public static let windowMs: Int64 = 20

    public var trueStretches = 0
    public var foundStretches = 0
    public var windows = 0
    public var agreeing = 0
    public var speechWindows = 0
    public var missedWindows = 0
    public var silenceWindows = 0
    public var falseWindows = 0

    public init() {}

    public init(truth: [SpeechStretch], found: [SpeechStretch], durationMs: Int64) {
        let truthWindows = Self.windows(truth, durationMs: durationMs)
        let foundWindows = Self.windows(found, durationMs: durationMs)
        trueStretches = truth.count
        foundStretches = found.count
        windows = truthWindows.count
        for (isSpeech, detected) in zip(truthWindows, foundWindows) {
            agreeing += isSpeech == detected ? 1 : 0
            speechWindows += isSpeech ? 1 : 0
            missedWindows += isSpeech && !detected ? 1 : 0
            silenceWindows += isSpeech ? 0 : 1
            falseWindows += !isSpeech && detected ? 1 : 0
        }
    }

    /// Fraction of windows where the detector agrees with the truth.
    public var agreement: Double { Double(agreeing) / Double(max(1, windows)) }
    /// Fraction of the true speech windows the detector called silence.
    public var missedSpeech: Double { Double(missedWindows) / Double(max(1, speechWindows)) }
    /// Fraction of the true silence windows the detector called speech.
    public var falseSpeech: Double { Double(falseWindows) / Double(max(1, silenceWindows)) }

    /// Scores of several recordings taken together.
    public static func + (a: WindowScore, b: WindowScore) -> WindowScore {
        var sum = a
        sum.trueStretches += b.trueStretches
        sum.foundStretches += b.foundStretches
        sum.windows += b.windows
        sum.agreeing += b.agreeing
        sum.speechWindows += b.speechWindows
        sum.missedWindows += b.missedWindows
        sum.silenceWindows += b.silenceWindows
        sum.falseWindows += b.falseWindows
        return sum
    }

    static func windows(_ stretches: [SpeechStretch], durationMs: Int64) -> [Bool] {
        (0..<Int(durationMs / windowMs)).map { index in
            let start = Int64(index) * windowMs
            let covered = stretches.reduce(Int64(0)) { $0 + max(0, min($1.endMs, start + windowMs) - max($1.startMs, start)) }
            return 2 * covered >= windowMs
        }
    }
}

extension VoiceActivityDetector {
    /// Runs a fresh detector over `audio` in 20 ms frames, as a client streams it, and returns the speech stretches
    /// its events describe.
    public static func stretches(in audio: WAVFile, settings: Settings = Settings()) -> [SpeechStretch] {
        var detector = VoiceActivityDetector(sampleRate: audio.sampleRate, settings: settings)
        let events = audio.frames(milliseconds: 20).flatMap { detector.process($0) }
        return SpeechStretch.stretches(from: events, endMs: audio.durationMs)
    }
}

extension SpeechStretch {
    /// The stretches a detector's events describe; speech still going at `endMs` is closed there.
    public static func stretches(from events: [VoiceActivityDetector.Event], endMs: Int64) -> [SpeechStretch] {
        var found: [SpeechStretch] = []
        var start: Int64?
        for event in events {
            switch event {
            case .speechStarted(let at): start = at
            case .speechStopped(let at):
                if let begun = start { found.append(SpeechStretch(startMs: begun, endMs: at)) }
                start = nil
            }
        }
        if let start { found.append(SpeechStretch(startMs: start, endMs: endMs)) }
        return found
    }
}
