import Foundation

/// The noises of the test set, made from a seeded generator: steady white and pink noise, and the short loud sounds
/// that are not speech (typing, mouse clicks, taps and knocks, coughs). Signals are in full scale (1 = 0 dBFS) at
/// `rate`; levels are given relative to a reference RMS (the speech's active level) so every mix keeps its ratio.
public enum NoiseSynthesis {
    /// Gaussian white noise with RMS `rms`.
    public static func white(count: Int, rms: Double, random: inout SeededRandom) -> [Double] {
        (0..<count).map { _ in random.gaussian() * rms }
    }

    /// Pink (1/f) noise with RMS `rms`: white noise through Paul Kellet's refined filter, normalised.
    public static func pink(count: Int, rms: Double, random: inout SeededRandom) -> [Double] {
        var b = [Double](repeating: 0, count: 7)
        var out = [Double](repeating: 0, count: count)
        for index in 0..<count {
            let white = random.gaussian()
            b[0] = 0.99886 * b[0] + white * 0.0555179
            b[1] = 0.99332 * b[1] + white * 0.0750759
            b[2] = 0.96900 * b[2] + white * 0.1538520
            b[3] = 0.86650 * b[3] + white * 0.3104856
            b[4] = 0.55000 * b[4] + white * 0.5329522
            b[5] = -0.7616 * b[5] - white * 0.0168980
            out[index] = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + white * 0.5362
            b[6] = white * 0.115926
        }
        return scaled(out, toRMS: rms)
    }

    /// Laptop typing: spells of 1.5–4 s of key presses 80–280 ms apart (each a click, its quieter release 40–100 ms
    /// later, and now and then the low thump of the space bar), with breaks of 0.5–2.5 s. Click peaks are 2–6 times
    /// `reference`.
    public static func typing(count: Int, rate: Int, reference: Double, random: inout SeededRandom) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        var time = random.uniform(0.2, 1.0)
        let end = Double(count) / Double(rate)
        while time < end {
            let spellEnd = time + random.uniform(1.5, 4)
            while time < min(spellEnd, end) {
                let peak = reference * random.uniform(2, 6)
                add(keyClick(rate: rate, peak: peak, random: &random), to: &out, at: time, rate: rate)
                add(keyClick(rate: rate, peak: peak * 0.5, random: &random), to: &out,
                    at: time + random.uniform(0.04, 0.1), rate: rate)
                if random.unit() < 0.15 {
                    add(ring(rate: rate, hertz: random.uniform(150, 400), decayMs: random.uniform(3, 8), peak: peak * 0.6),
                        to: &out, at: time, rate: rate)
                }
                time += random.uniform(0.08, 0.28)
            }
            time += random.uniform(0.5, 2.5)
        }
        return out
    }

    /// Mouse and pen clicks: a sharp press and its release 70–140 ms later, every 0.4–1.6 s, peaks 2–8 times
    /// `reference`.
    public static func clicks(count: Int, rate: Int, reference: Double, random: inout SeededRandom) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        var time = random.uniform(0.1, 0.8)
        while time < Double(count) / Double(rate) {
            let peak = reference * random.uniform(2, 8)
            add(click(rate: rate, peak: peak, random: &random), to: &out, at: time, rate: rate)
            add(click(rate: rate, peak: peak * random.uniform(0.4, 0.9), random: &random), to: &out,
                at: time + random.uniform(0.07, 0.14), rate: rate)
            time += random.uniform(0.4, 1.6)
        }
        return out
    }

    /// Taps and knocks on a desk or door, and drumming fingers: groups of 1–4 hits 70–250 ms apart every 0.8–2.5 s.
    /// A hit rings at 90–350 Hz (inside the range of a voice's pitch) and dies away in 5–25 ms, after a click.
    /// Peaks are 1.5–5 times `reference`.
    public static func taps(count: Int, rate: Int, reference: Double, random: inout SeededRandom) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        var time = random.uniform(0.2, 1.0)
        while time < Double(count) / Double(rate) {
            let hits = 1 + Int(random.unit() * 4)
            let spacing = random.uniform(0.07, 0.25)
            let hertz = random.uniform(90, 350)
            let decayMs = random.uniform(5, 25)
            for hit in 0..<hits {
                let peak = reference * random.uniform(1.5, 5)
                let at = time + Double(hit) * spacing
                add(ring(rate: rate, hertz: hertz * random.uniform(0.97, 1.03), decayMs: decayMs, peak: peak), to: &out, at: at, rate: rate)
                add(click(rate: rate, peak: peak * 0.3, random: &random), to: &out, at: at, rate: rate)
            }
            time += Double(hits) * spacing + random.uniform(0.8, 2.5)
        }
        return out
    }

    /// Coughs: 0.2–0.45 s of noise shaped by two broad throat resonances, a sharp start and a fading end, some with
    /// a second, weaker burst; every 2–5 s, 20 ms RMS peaks 1–3 times `reference`.
    public static func coughs(count: Int, rate: Int, reference: Double, random: inout SeededRandom) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        var time = random.uniform(0.3, 1.5)
        while time < Double(count) / Double(rate) {
            let level = reference * random.uniform(1, 3)
            add(cough(rate: rate, rms: level, random: &random), to: &out, at: time, rate: rate)
            if random.unit() < 0.4 {
                add(cough(rate: rate, rms: level * 0.6, random: &random), to: &out, at: time + random.uniform(0.3, 0.5), rate: rate)
            }
            time += random.uniform(2, 5)
        }
        return out
    }

    // MARK: The sounds

    /// A key's click: a 1–2 ms burst of noise and a short ring of the keyboard's plastic at 1.5–4.5 kHz.
    static func keyClick(rate: Int, peak: Double, random: inout SeededRandom) -> [Double] {
        let burstMs = random.uniform(0.8, 2)
        let bodyHertz = random.uniform(1_500, 4_500)
        let bodyMs = random.uniform(1, 3)
        let samples = (0..<(rate * 12 / 1000)).map { index -> Double in
            let t = Double(index) / Double(rate) * 1000
            return random.gaussian() * exp(-t / burstMs) + 0.8 * sin(2 * .pi * bodyHertz * t / 1000) * exp(-t / bodyMs)
        }
        return scaled(samples, toPeak: peak)
    }

    /// A sharper, shorter click (a mouse button, a pen).
    static func click(rate: Int, peak: Double, random: inout SeededRandom) -> [Double] {
        let hertz = random.uniform(3_000, 6_000)
        let samples = (0..<(rate * 6 / 1000)).map { index -> Double in
            let t = Double(index) / Double(rate) * 1000
            return random.gaussian() * exp(-t / 0.4) + 0.7 * sin(2 * .pi * hertz * t / 1000) * exp(-t / 0.8)
        }
        return scaled(samples, toPeak: peak)
    }

    /// A struck resonance: a sine that dies away with time constant `decayMs`.
    static func ring(rate: Int, hertz: Double, decayMs: Double, peak: Double) -> [Double] {
        (0..<Int(Double(rate) * decayMs * 8 / 1000)).map { index in
            let t = Double(index) / Double(rate)
            return peak * sin(2 * .pi * hertz * t) * exp(-t * 1000 / decayMs)
        }
    }

    static func cough(rate: Int, rms: Double, random: inout SeededRandom) -> [Double] {
        let lengthMs = random.uniform(200, 450)
        let decayMs = random.uniform(60, 150)
        var first = Resonator(hertz: random.uniform(400, 800), q: random.uniform(1.5, 3), rate: rate)
        var second = Resonator(hertz: random.uniform(1_200, 2_200), q: random.uniform(1.5, 3), rate: rate)
        let samples = (0..<Int(Double(rate) * lengthMs / 1000)).map { index -> Double in
            let t = Double(index) / Double(rate) * 1000
            let envelope = min(1, t / 15) * exp(-max(0, t - 15) / decayMs)
            let white = random.gaussian()
            return envelope * (first.filter(white) + 0.6 * second.filter(white) + 0.2 * white)
        }
        // The loudest 20 ms of the cough at `rms`.
        let window = rate / 50
        let loudest = stride(from: 0, to: max(1, samples.count - window), by: window / 2).map { start in
            (samples[start..<min(samples.count, start + window)].reduce(0) { $0 + $1 * $1 } / Double(window)).squareRoot()
        }.max() ?? 1
        return samples.map { $0 * rms / max(loudest, 1e-12) }
    }

    /// A two-pole band-pass filter (the RBJ cookbook's constant 0 dB peak gain form).
    struct Resonator {
        var b0, b2, a1, a2: Double
        var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0

        init(hertz: Double, q: Double, rate: Int) {
            let w = 2 * .pi * hertz / Double(rate)
            let alpha = sin(w) / (2 * q)
            let a0 = 1 + alpha
            b0 = alpha / a0
            b2 = -alpha / a0
            a1 = -2 * cos(w) / a0
            a2 = (1 - alpha) / a0
        }

        mutating func filter(_ x: Double) -> Double {
            let y = b0 * x + b2 * x2 - a1 * y1 - a2 * y2
            x2 = x1; x1 = x; y2 = y1; y1 = y
            return y
        }
    }

    // MARK: Helpers

    static func add(_ sound: [Double], to out: inout [Double], at seconds: Double, rate: Int) {
        let start = Int(seconds * Double(rate))
        for (offset, value) in sound.enumerated() where start + offset < out.count { out[start + offset] += value }
    }

    static func scaled(_ samples: [Double], toPeak peak: Double) -> [Double] {
        let current = samples.map(abs).max() ?? 0
        return current > 0 ? samples.map { $0 * peak / current } : samples
    }

    static func scaled(_ samples: [Double], toRMS rms: Double) -> [Double] {
        let current = (samples.reduce(0) { $0 + $1 * $1 } / Double(max(1, samples.count))).squareRoot()
        return current > 0 ? samples.map { $0 * rms / current } : samples
    }
}
