import Foundation

/// Finds where speech starts and stops in a PCM16 stream: typing, clicks, taps, coughs and steady room noise are
/// not speech; quiet speech and a short "mhm" are.
///
/// Pure and incremental: feed frames as they arrive, get events back. Times are milliseconds of audio since the
/// first sample, so results depend neither on when the frames arrived nor on how the bytes were split.
///
/// Each 20 ms frame gets cheap measures (`FrameMeter`, one pass over the samples):
/// - *loud*: `marginDB` over a noise floor that follows the room, and over `minimumLevelDBFS`;
/// - *voiced*: loud and periodic at a voice's pitch (`Periodicity`, on the signal summed down to 4 kHz);
/// - *transient*: 5 ms of an unvoiced frame hold most of its energy (a key, a click);
/// - *hiss*: loud, unvoiced, not transient, and mostly above 2 kHz (an "s", a "t"), or well above the room.
///
/// Speech starts when a voiced run — voiced frames within 10 dB of the run's loudest — reaches `minimumSpeechMs`
/// (80 ms) of voicing: a vowel, a "yes", a "mhm". Typing and clicks are never voiced; a tap or a knock rings at a
/// pitch but dies away within a few frames; coughs, fans and hiss are not periodic. Once speaking, each syllable (a
/// run that holds within 6 dB for 60 ms) keeps speech going; `hangoverMs` without one ends it. The start is dated
/// back to the hiss leading into the voicing and to earlier syllables of the same word; the stop to the last
/// syllable plus the hiss right after it. So a pause to think ends a stretch, and the next one begins where the
/// voice resumes: the machine, not the detector, decides when a turn is over.
public struct VoiceActivityDetector: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Analysis window.
        public var frameMs = 20
        /// Voiced time, in one run, needed before speech is reported.
        public var minimumSpeechMs = 80
        /// Time without voicing needed before speech is reported as stopped.
        public var hangoverMs = 600
        /// A frame is loud when its energy is this many decibels above the noise floor…
        public var marginDB = 2.0
        /// …and above this absolute level, so a silent room never "speaks".
        public var minimumLevelDBFS = -65.0
        /// A loud frame is voiced when its pitch strength (normalised correlation one period apart) reaches this.
        public var minimumPeriodicity: Float = 0.5
        /// The first audio only teaches the detector the room's noise.
        public var calibrationMs = 200

        public init() {}
    }

    public enum Event: Sendable, Equatable {
        case speechStarted(atMs: Int64)
        case speechStopped(atMs: Int64)
    }

    public let settings: Settings
    public let sampleRate: Int

    /// Level of the most recent frame, in dBFS (worked out when asked, not per frame).
    public var lastLevelDBFS: Double { lastEnergy.map(Self.levelDBFS) ?? -120 }
    /// Fraction of clipped samples (|s| ≥ 32,000) in the most recent frame.
    public private(set) var lastClippedFraction = 0.0

    public var isSpeaking: Bool { speaking }

    /// Milliseconds of audio processed so far.
    public var processedMs: Int64 { samplesSeen * 1000 / Int64(sampleRate) }

    private let meter: FrameMeter
    /// The least energy above `minimumLevelDBFS`, and `marginDB` as a power ratio: a frame's tests are then
    /// comparisons, without a logarithm or a power per frame.
    private let quietestLoudEnergy: Double
    private let marginRatio: Double
    /// Mean square energy of the most recent frame.
    private var lastEnergy: Double?
    private var periodicity: Periodicity
    /// The start of a frame that the bytes so far did not complete (whole frames are read where they arrive).
    private var pending: [Int16] = []
    private var samplesSeen: Int64 = 0

    /// Noise floor as mean square energy (full scale = 1).
    private var noiseFloor: Double?

    // Decisions, all in ms of audio.
    private var speaking = false
    /// The current voiced run: its start (with its lead-in), loudest energy, voiced time (frames within
    /// `runRangeRatio` of its loudest), sustained time (frames within `sustainRatio` of the loudest so far), and loud
    /// frames since its last voiced one.
    private var runStartMs: Int64?
    private var runPeak = 0.0
    private var runVoicedMs = 0
    private var runSustainedMs = 0
    private var runDropouts = 0
    /// End of the last syllable (a run sustained for `syllableMs`), and the start of the current run's chain: runs
    /// that each began within `bridgeMs` of a syllable.
    private var lastSyllableEndMs: Int64?
    private var chainStartMs: Int64 = 0
    /// Start of the current stretch of voiced or hissing frames (the lead-in to voicing).
    private var loudSinceMs: Int64?
    /// While speaking: end of the last syllable frame, and of the sound right after it.
    private var speechVoicedEndMs: Int64 = 0
    private var tailEndMs: Int64 = 0
    /// Where the last stretch of speech stopped: the next one cannot start before.
    private var lastStopMs: Int64 = 0

    /// Lead-in before voicing, and tail after it, that may be counted as speech.
    private static let leadInMs: Int64 = 200
    private static let tailMs: Int64 = 200
    /// The tail goes on through gaps this short (the closure before a final "k" or "t").
    private static let tailGapMs: Int64 = 60
    /// Syllables this close to each other belong to one stretch.
    private static let bridgeMs: Int64 = 300
    /// A voiced run ends when a frame falls this far (10 dB) below the run's loudest (a tap dying away)…
    private static let runRangeRatio = decibels(-10)
    /// …and counts as a syllable once it has held within this much (6 dB) of its loudest for `syllableMs`: a struck
    /// resonance loses more than that within 40 ms.
    private static let sustainRatio = decibels(-6)
    private static let syllableMs = 60
    /// A transient: two neighbouring 2.5 ms blocks hold this share of an unvoiced frame's energy.
    private static let transientShare = 0.7
    /// Hiss (the lead-in and tail of voicing: "s", "f", "t", "h"): a loud unvoiced frame with less than this share
    /// of its energy below 2 kHz. Room noise, coughs and knocks have more.
    private static let hissLowShare = 0.5
    /// Any other loud unvoiced frame this far (9 dB) above the floor, if not a transient, is an edge of voicing too.
    private static let edgeRatio = decibels(9)

    public init(sampleRate: Int, settings: Settings = Settings()) {
        self.sampleRate = sampleRate
        self.settings = settings
        meter = FrameMeter(sampleRate: sampleRate, frameMs: settings.frameMs)
        quietestLoudEnergy = Self.leastEnergy(aboveDBFS: settings.minimumLevelDBFS)
        marginRatio = Self.decibels(settings.marginDB)
        periodicity = Periodicity(frameLength: meter.groupsPerFrame)
        pending.reserveCapacity(meter.frameSamples)
    }

    /// Processes little-endian PCM16 bytes (an odd trailing byte is ignored). Returns the events they caused.
    public mutating func process(_ bytes: Data) -> [Event] {
        var events: [Event] = []
        let frameSamples = meter.frameSamples
        bytes.withUnsafeBytes { raw in
            let count = raw.count / 2
            var index = 0
            if !pending.isEmpty {
                let take = min(count, frameSamples - pending.count)
                for offset in 0..<take {
                    pending.append(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * offset, as: Int16.self)))
                }
                index = take
                if pending.count == frameSamples {
                    // Swapped out, so the frame can be read while the detector changes.
                    var frame: [Int16] = []
                    swap(&frame, &pending)
                    if let event = frame.withUnsafeBytes({ analyseFrame($0.baseAddress!) }) { events.append(event) }
                    swap(&frame, &pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
            while count - index >= frameSamples {
                if let event = analyseFrame(raw.baseAddress! + 2 * index) { events.append(event) }
                index += frameSamples
            }
            for offset in index..<count {
                pending.append(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * offset, as: Int16.self)))
            }
        }
        return events
    }

    /// Analyses one whole frame of little-endian PCM16 at `samples`.
    private mutating func analyseFrame(_ samples: UnsafeRawPointer) -> Event? {
        let meter = self.meter
        let measures = periodicity.withFrame { meter.measure(samples, low: $0) }
        let energy = measures.energy
        let frameStartMs = samplesSeen * 1000 / Int64(sampleRate)
        samplesSeen += Int64(meter.frameSamples)
        let frameEndMs = samplesSeen * 1000 / Int64(sampleRate)
        lastEnergy = energy
        lastClippedFraction = measures.clippedFraction

        // The first frames only calibrate the floor: nothing is loud until the room has been heard.
        let floor = noiseFloor ?? energy
        let calibrating = frameStartMs < Int64(settings.calibrationMs)
        let loud = !calibrating && energy >= quietestLoudEnergy && energy > max(floor, 1e-12) * marginRatio
        let voiced = loud && periodicity.reaches(settings.minimumPeriodicity)
        periodicity.advance()
        let transient = !voiced && measures.peakShare >= Self.transientShare
        adaptNoiseFloor(to: energy, loud: loud, voiced: voiced)
        // Sound at the edges of voicing: hiss, or anything well above the room that is not a click.
        let hiss = loud && !voiced && !transient
            && (measures.lowShare < Self.hissLowShare || energy > floor * Self.edgeRatio)
        return decide(energy: energy, loud: loud, voiced: voiced, transient: transient, hiss: hiss,
                      startMs: frameStartMs, endMs: frameEndMs)
    }

    private mutating func decide(energy: Double, loud: Bool, voiced: Bool, transient: Bool, hiss: Bool,
                                 startMs: Int64, endMs: Int64) -> Event? {
        if hiss || voiced {
            if loudSinceMs == nil { loudSinceMs = startMs }
        } else {
            loudSinceMs = nil
        }

        // The voiced run goes on through voiced frames near its loudest, and through one or two loud frames whose
        // voicing the noise hid; a frame far below its loudest (a tap dying away) ends it.
        var voicedInRun = false
        if runStartMs != nil, voiced, energy >= runPeak * Self.runRangeRatio {
            if energy >= runPeak * Self.sustainRatio { runSustainedMs += settings.frameMs }
            runPeak = max(runPeak, energy)
            runVoicedMs += settings.frameMs
            runDropouts = 0
            voicedInRun = true
        } else if runStartMs != nil, loud, !transient, energy >= runPeak * Self.runRangeRatio, runDropouts < 2 {
            runDropouts += 1
        } else if voiced {
            let start = max(loudSinceMs ?? startMs, startMs - Self.leadInMs, lastStopMs)
            // A run that begins close after a syllable joins its chain (the next syllable of a word).
            if lastSyllableEndMs.map({ start - $0 >= Self.bridgeMs }) ?? true { chainStartMs = start }
            runStartMs = start
            runPeak = energy
            runVoicedMs = settings.frameMs
            runSustainedMs = settings.frameMs
            runDropouts = 0
            voicedInRun = true
        } else {
            runStartMs = nil
        }

        let syllable = voicedInRun && runSustainedMs >= Self.syllableMs
        if syllable { lastSyllableEndMs = endMs }

        if !speaking {
            guard voicedInRun, runVoicedMs >= settings.minimumSpeechMs else { return nil }
            speaking = true
            speechVoicedEndMs = endMs
            tailEndMs = endMs
            return .speechStarted(atMs: chainStartMs)
        }
        if syllable {
            speechVoicedEndMs = endMs
            tailEndMs = endMs
        } else if hiss && startMs - tailEndMs <= Self.tailGapMs && endMs - speechVoicedEndMs <= Self.tailMs {
            tailEndMs = endMs
        }
        guard endMs - speechVoicedEndMs >= Int64(settings.hangoverMs) else { return nil }
        speaking = false
        lastStopMs = tailEndMs
        return .speechStopped(atMs: tailEndMs)
    }

    /// A power ratio from decibels.
    private static func decibels(_ value: Double) -> Double { pow(10, value / 10) }

    private static func levelDBFS(_ energy: Double) -> Double { 10 * log10(max(energy, 1e-12)) }

    /// The least energy whose `levelDBFS` is above `level` (infinity if none is), found by bisecting the bit
    /// patterns of the non-negative doubles, whose order is their values' order. `energy >= leastEnergy` is then
    /// exactly `levelDBFS(energy) > level`, because `levelDBFS` never decreases as the energy grows.
    private static func leastEnergy(aboveDBFS level: Double) -> Double {
        guard levelDBFS(.infinity) > level else { return .infinity }
        guard levelDBFS(0) <= level else { return 0 }
        var (below, above) = (UInt64(0), Double.infinity.bitPattern)
        while above - below > 1 {
            let middle = below + (above - below) / 2
            if levelDBFS(Double(bitPattern: middle)) > level { above = middle } else { below = middle }
        }
        return Double(bitPattern: above)
    }

    /// Follows the room: falls quickly to quieter frames, rises steadily with the frames near it, and only slowly
    /// with loud ones (a few decibels in seconds), slowest of all while someone speaks, so neither speech nor a
    /// spell of typing becomes the floor.
    private mutating func adaptNoiseFloor(to energy: Double, loud: Bool, voiced: Bool) {
        guard let floor = noiseFloor else {
            noiseFloor = energy
            return
        }
        if energy < floor {
            noiseFloor = floor * 0.8 + energy * 0.2
        } else if !loud {
            noiseFloor = floor * 0.95 + energy * 0.05
        } else {
            noiseFloor = floor * (voiced ? 1.001 : 1.005)
        }
    }
}
