import Foundation

/// Finds where speech starts and stops in a PCM16 stream, with an energy threshold that adapts to the room.
///
/// Pure and incremental: feed frames as they arrive, get events back. Times are milliseconds of audio since the
/// first sample, so results do not depend on when the frames arrived. A burst shorter than `minimumSpeechMs`
/// (a cough, a short "mhm") never becomes speech, and pauses shorter than `hangoverMs` (between words) never end it.
public struct VoiceActivityDetector: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Analysis window.
        public var frameMs = 20
        /// Voiced time needed before speech is reported.
        public var minimumSpeechMs = 400
        /// Unvoiced time needed before speech is reported as stopped.
        public var hangoverMs = 500
        /// A frame is voiced when its energy is this many decibels above the noise floor…
        public var marginDB = 6.0
        /// …and above this absolute level, so a silent room never "speaks".
        public var minimumLevelDBFS = -50.0
        /// The first audio only teaches the detector the room's noise.
        public var calibrationMs = 200

        public init() {}
    }

    public enum Event: Sendable, Equatable {
        case speechStarted(atMs: Int64)
        case speechStopped(atMs: Int64)
    }

    private enum Phase: Sendable {
        case silence
        /// Voiced frames seen since `onsetMs`, not yet enough to call it speech.
        case onset(onsetMs: Int64, voicedMs: Int, unvoicedMs: Int)
        case speech(lastVoicedEndMs: Int64, unvoicedMs: Int)
    }

    public let settings: Settings
    public let sampleRate: Int
    private var phase = Phase.silence
    /// Noise floor as mean square energy (full scale = 1).
    private var noiseFloor: Double?
    /// The frame being filled: the sum of squared samples so far (exact, in integers), clipped samples and sample
    /// count. No samples are kept.
    private var frameEnergy: Int64 = 0
    private var frameClipped = 0
    private var frameFill = 0
    private var samplesSeen: Int64 = 0
    /// Level of the most recent frame, in dBFS.
    public private(set) var lastLevelDBFS = -120.0
    /// Fraction of clipped samples (|s| ≥ 32,000) in the most recent frame.
    public private(set) var lastClippedFraction = 0.0

    public init(sampleRate: Int, settings: Settings = Settings()) {
        self.sampleRate = sampleRate
        self.settings = settings
        frameSamples = max(1, sampleRate * settings.frameMs / 1000)
    }

    public var isSpeaking: Bool {
        if case .speech = phase { return true }
        return false
    }

    /// Milliseconds of audio processed so far.
    public var processedMs: Int64 { samplesSeen * 1000 / Int64(sampleRate) }

    private let frameSamples: Int

    /// Processes little-endian PCM16 bytes (an odd trailing byte is ignored). Returns the events they caused.
    public mutating func process(_ bytes: Data) -> [Event] {
        var events: [Event] = []
        bytes.withUnsafeBytes { raw in
            let count = raw.count / 2
            var index = 0
            while index < count {
                // A tight loop up to the end of the current frame, then the frame's analysis.
                let end = min(count, index + frameSamples - frameFill)
                var energy: Int64 = 0
                var clipped = 0
                for offset in index..<end {
                    let sample = Int64(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * offset, as: Int16.self)))
                    energy &+= sample &* sample
                    clipped &+= (sample >= 32_000 || sample <= -32_000) ? 1 : 0
                }
                frameEnergy &+= energy
                frameClipped += clipped
                frameFill += end - index
                index = end
                if frameFill == frameSamples {
                    if let event = analyseFrame() { events.append(event) }
                    frameEnergy = 0
                    frameClipped = 0
                    frameFill = 0
                }
            }
        }
        return events
    }

    private mutating func analyseFrame() -> Event? {
        let energy = Double(frameEnergy) / Double(frameFill) / (32_768.0 * 32_768.0)
        let frameEndMs = (samplesSeen + Int64(frameFill)) * 1000 / Int64(sampleRate)
        let frameStartMs = samplesSeen * 1000 / Int64(sampleRate)
        samplesSeen += Int64(frameFill)
        lastLevelDBFS = 10 * log10(max(energy, 1e-12))
        lastClippedFraction = Double(frameClipped) / Double(frameFill)

        let floor = noiseFloor ?? energy
        // The first frames only calibrate the floor: nothing is voiced until the room has been heard.
        let calibrating = frameStartMs < Int64(settings.calibrationMs)
        let voiced = !calibrating && lastLevelDBFS > settings.minimumLevelDBFS
            && 10 * log10(max(energy, 1e-12) / max(floor, 1e-12)) > settings.marginDB
        adaptNoiseFloor(to: energy, voiced: voiced)
        let frameMs = settings.frameMs

        switch phase {
        case .silence:
            if voiced { phase = .onset(onsetMs: frameStartMs, voicedMs: frameMs, unvoicedMs: 0) }
        case .onset(let onset, let voicedMs, let unvoicedMs):
            if voiced {
                let total = voicedMs + frameMs
                if total >= settings.minimumSpeechMs {
                    phase = .speech(lastVoicedEndMs: frameEndMs, unvoicedMs: 0)
                    return .speechStarted(atMs: onset)
                }
                phase = .onset(onsetMs: onset, voicedMs: total, unvoicedMs: 0)
            } else if unvoicedMs + frameMs >= settings.hangoverMs / 2 {
                phase = .silence  // a short burst: a cough or a "mhm"
            } else {
                phase = .onset(onsetMs: onset, voicedMs: voicedMs, unvoicedMs: unvoicedMs + frameMs)
            }
        case .speech(let lastVoicedEnd, let unvoicedMs):
            if voiced {
                phase = .speech(lastVoicedEndMs: frameEndMs, unvoicedMs: 0)
            } else if unvoicedMs + frameMs >= settings.hangoverMs {
                phase = .silence
                return .speechStopped(atMs: lastVoicedEnd)
            } else {
                phase = .speech(lastVoicedEndMs: lastVoicedEnd, unvoicedMs: unvoicedMs + frameMs)
            }
        }
        return nil
    }

    /// Follows the room: falls quickly to quieter frames, rises slowly with steady noise, and barely moves while
    /// someone speaks so speech does not become the floor.
    private mutating func adaptNoiseFloor(to energy: Double, voiced: Bool) {
        guard let floor = noiseFloor else {
            noiseFloor = energy
            return
        }
        if energy < floor {
            noiseFloor = floor * 0.8 + energy * 0.2
        } else if !voiced {
            noiseFloor = floor * 0.98 + energy * 0.02
        } else {
            noiseFloor = floor * 0.999 + energy * 0.001  // a steady loud noise is not speech for ever
        }
    }
}
