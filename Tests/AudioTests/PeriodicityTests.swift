import Foundation
import Testing
@testable import Audio
import TestSupport

/// The pitch search stops at the first period that reaches the threshold; its answer must be the one the whole
/// search gives. Checked against the definition, worked out directly in doubles, on voices and noise.
@Suite struct PeriodicityTests {
    @Test func theSearchAnswersAsTheWholeSearchWould() {
        let thresholds: [Float] = [0.3, 0.5, 0.7, 0.9]
        var generator = SeededGenerator(state: 11)
        var periodicity = Periodicity(frameLength: 80)
        var signal: [Float] = []
        var reached = [Int](repeating: 0, count: thresholds.count)
        var missed = reached
        for stretch in 0..<120 {
            // Voices from 70 to 440 Hz over noise from none to louder than the voice, and stretches of noise alone.
            let hertz = Double.random(in: 70...440, using: &generator)
            let voice = stretch % 4 == 3 ? 0 : Double.random(in: 0.05...0.5, using: &generator)
            let noise = Double.random(in: 0...0.4, using: &generator)
            for frame in 0..<5 {
                let samples = (0..<80).map { index -> Float in
                    let t = Double(signal.count + index) / Double(Periodicity.rate)
                    let harmonics = sin(2 * .pi * hertz * t) + 0.5 * sin(4 * .pi * hertz * t)
                    return Float(voice * harmonics + noise * Double.random(in: -1...1, using: &generator))
                }
                periodicity.withFrame { pointer in
                    for (index, sample) in samples.enumerated() { pointer[index] = sample }
                }
                signal += samples
                let expected = Self.strength(of: signal)
                // Float sums differ from these doubles in the last bits: frames this close to a threshold decide
                // nothing here.
                for (index, threshold) in thresholds.enumerated() where frame > 0 && abs(expected - Double(threshold)) > 1e-3 {
                    let answer = periodicity.reaches(threshold)
                    #expect(answer == (expected >= Double(threshold)),
                            "stretch \(stretch), frame \(frame), threshold \(threshold): strength \(expected)")
                    if answer { reached[index] += 1 } else { missed[index] += 1 }
                }
                periodicity.advance()
            }
        }
        #expect(reached.allSatisfy { $0 > 30 } && missed.allSatisfy { $0 > 30 },
                "both answers are tried at every threshold: \(reached) reached, \(missed) missed")
    }

    /// The definition: the last 80 samples, each less the mean of the 16 up to it, against themselves 9…60 samples
    /// earlier; the best normalised correlation, at most 1.
    private static func strength(of signal: [Float]) -> Double {
        let history = Periodicity.longestLag + Periodicity.smoothing
        let padded = [Float](repeating: 0, count: max(0, history + 80 - signal.count)) + signal.suffix(history + 80)
        let filtered = (Periodicity.smoothing..<padded.count).map { end -> Double in
            let window = padded[(end - Periodicity.smoothing + 1)...end].reduce(0) { $0 + Double($1) }
            return Double(padded[end]) - window / Double(Periodicity.smoothing)
        }
        let start = filtered.count - 80
        let frame = Array(filtered[start...])
        let energy = frame.reduce(0) { $0 + $1 * $1 }
        guard energy > 0 else { return 0 }
        var best = 0.0
        for lag in Periodicity.shortestLag...Periodicity.longestLag {
            let lagged = Array(filtered[(start - lag)..<(start - lag + 80)])
            let cross = zip(frame, lagged).reduce(0) { $0 + $1.0 * $1.1 }
            let laggedEnergy = lagged.reduce(0) { $0 + $1 * $1 }
            if cross > 0, laggedEnergy > 0 { best = max(best, cross / (energy * laggedEnergy).squareRoot()) }
        }
        return min(1, best)
    }
}
