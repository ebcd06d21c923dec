import Audio
import Foundation

/// The answer every load candidate speaks: 16 kHz PCM16 in 20 ms frames, with the frames where the engine's detector
/// will hear the speech begin, so latencies can be measured from them.
public struct LoadSpeech: Sendable {
    public enum SpeechError: Error, CustomStringConvertible {
        case noSpeech(String)
        case espeakFailed(Int32)

        public var description: String {
            switch self {
            case .noSpeech(let source): "the voice activity detector hears no speech in \(source)"
            case .espeakFailed(let status): "espeak-ng failed (exit \(status)); is it installed? (`make setup`)"
            }
        }
    }

    /// The rate the candidates declare in `session.start`.
    public static let sampleRate = 16_000
    /// 20 ms of PCM16 at 16 kHz.
    public static let frameBytes = 640
    /// Silence the detector hears before every answer in `onsetFrame`'s reckoning (and at least its calibration).
    public static let leadInFrames = 25

    /// The speech, 20 ms a frame (the last one padded with silence).
    public let frames: [Data]
    /// The first frame of speech: where the detector will say the voice began.
    public let onsetFrame: Int
    /// The frame whose arrival makes the detector report `speech.started` (it has heard enough voice).
    public let confirmFrame: Int
    /// Sent as `transcript.final` after the audio, so the engine analyses words as with a client-side recogniser.
    public let transcript: String?

    public var seconds: Double { Double(frames.count) * 0.02 }

    /// Cuts `wav` (any rate, resampled to 16 kHz) into frames and finds its speech onset with the engine's detector.
    public init(wav: WAVFile, transcript: String?, source: String = "the WAV") throws {
        let pcm = wav.resampled(to: Self.sampleRate).pcm16
        var frames: [Data] = []
        var offset = 0
        while offset < pcm.count {
            var frame = pcm.subdata(in: offset..<min(pcm.count, offset + Self.frameBytes))
            if frame.count < Self.frameBytes { frame.append(Data(count: Self.frameBytes - frame.count)) }
            frames.append(frame)
            offset += Self.frameBytes
        }
        // Played as the engine will hear it: silence from the microphone first, then the answer.
        var detector = VoiceActivityDetector(sampleRate: Self.sampleRate)
        let silence = Data(count: Self.frameBytes)
        for _ in 0..<Self.leadInFrames { _ = detector.process(silence) }
        var heard: (onset: Int, confirm: Int)?
        for (index, frame) in frames.enumerated() where heard == nil {
            for case .speechStarted(let atMs) in detector.process(frame) {
                heard = (Int(atMs / 20) - Self.leadInFrames, index)
            }
        }
        guard let heard else { throw SpeechError.noSpeech(source) }
        self.frames = frames
        onsetFrame = max(0, heard.onset)
        confirmFrame = heard.confirm
        self.transcript = transcript
    }

    /// Reads a PCM16 WAV file.
    public init(contentsOf url: URL, transcript: String?) throws {
        try self.init(wav: try WAVFile(contentsOf: url), transcript: transcript, source: url.path)
    }

    /// A short STAR answer, the default when no WAV is given.
    public static let defaultSentence = "At my last job two teams disagreed about a migration. I built a prototype, "
        + "measured both options, and we cut errors by forty percent."

    /// Speaks `text` with espeak-ng into a temporary WAV and reads it back.
    public static func spoken(_ text: String = defaultSentence) throws -> LoadSpeech {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-load-\(UUID().uuidString).wav")
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["espeak-ng", "-s", "160", "-w", file.path, text]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SpeechError.espeakFailed(process.terminationStatus) }
        return try LoadSpeech(wav: try WAVFile(contentsOf: file), transcript: text, source: "espeak-ng's \"\(text)\"")
    }
}
