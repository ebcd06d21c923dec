import Foundation

/// How periodic the latest frame of a low-rate signal is: the peak of the normalised cross-correlation between the
/// frame and itself one pitch period earlier, over the periods of a human voice (about 67 to 444 Hz).
///
/// Voiced speech (vowels, "mhm", nasals) repeats itself every pitch period and scores near 1; noise, fricatives,
/// clicks and the bursts of typing score low. The signal arrives at about 4 kHz (`VoiceActivityDetector` sums each
/// group of input samples into one), which keeps the pitch harmonics that matter and makes the search cheap.
struct Periodicity: Sendable {
    /// Low-rate samples per second.
    static let rate = 4_000
    static let shortestLag = rate / 444
    /// About 67 Hz; the lags from `shortestLag` are searched four at a time.
    static let longestLag = 60

    /// Rumble and DC are removed by subtracting the mean of the last `smoothing` samples (4 ms): a high-pass
    /// filter near 100 Hz without feedback, so it costs little and only runs on frames that are measured.
    static let smoothing = 16

    /// The frame's samples follow `history` samples of the frames before it.
    let frameLength: Int
    var history: Int { Self.longestLag + Self.smoothing }
    /// `history` samples of the past, then the current frame.
    private(set) var buffer: [Float]

    init(frameLength: Int) {
        self.frameLength = frameLength
        buffer = [Float](repeating: 0, count: Self.longestLag + Self.smoothing + frameLength)
    }

    /// Lets `body` write the current frame's `frameLength` samples.
    mutating func withFrame<Result>(_ body: (UnsafeMutablePointer<Float>) -> Result) -> Result {
        let history = history
        return buffer.withUnsafeMutableBufferPointer { body($0.baseAddress! + history) }
    }

    /// Whether the pitch strength of the current frame (0…1) reaches `threshold`. The search over the periods
    /// stops at the first that does, so a voiced frame pays for the periods up to its pitch only; the answer is the
    /// one the whole search would give, because the strength is the best over all periods.
    func reaches(_ threshold: Float) -> Bool {
        let count = Self.longestLag + frameLength
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { filtered -> Bool in
            buffer.withUnsafeBufferPointer { raw in
                var sum: Float = 0
                for index in 0..<Self.smoothing { sum += raw[index] }
                for index in 0..<count {
                    let sample = raw[index + Self.smoothing]
                    sum += sample - raw[index]
                    filtered[index] = sample - sum / Float(Self.smoothing)
                }
            }
            return Self.reaches(threshold, UnsafePointer(filtered.baseAddress! + Self.longestLag), frameLength: frameLength)
        }
    }

    /// Whether the pitch strength of the `frameLength` samples at `frame`, preceded by `longestLag` samples,
    /// reaches `threshold`.
    private static func reaches(_ threshold: Float, _ frame: UnsafePointer<Float>, frameLength count: Int) -> Bool {
        let frameEnergy = dot(frame, frame, count)
        guard frameEnergy > 0 else { return 0 >= threshold }
        // The energy of the window `lag` samples back, slid one sample at a time.
        var laggedEnergy = dot(frame - shortestLag, frame - shortestLag, count)
        var best: Float = 0
        var lag = shortestLag
        while lag <= longestLag {
            let crosses = dot4(frame, frame - lag - 3, count)
            for step in 0..<4 {
                if lag + step > shortestLag {
                    let entering = frame[-(lag + step)]
                    let leaving = frame[count - lag - step]
                    laggedEnergy = max(0, laggedEnergy + entering * entering - leaving * leaving)
                }
                let cross = crosses[3 - step]
                // Squares are compared, so no square root per lag.
                if cross > 0, cross * cross > best * frameEnergy * laggedEnergy {
                    best = cross * cross / (frameEnergy * laggedEnergy)
                }
            }
            // `best` only grows, so once the strength so far reaches the threshold the whole search's would too.
            if strength(best) >= threshold { return true }
            lag += 4
        }
        return strength(best) >= threshold
    }

    /// The strength for the best normalised squared correlation.
    @inline(__always)
    private static func strength(_ best: Float) -> Float { min(1, best.squareRoot()) }

    /// Moves the current frame into the history, ready for the next frame.
    mutating func advance() {
        let (history, frameLength) = (history, frameLength)
        buffer.withUnsafeMutableBufferPointer { samples in
            let base = samples.baseAddress!
            base.update(from: base + frameLength, count: history)
        }
    }

    /// A dot product in eight independent lanes, so the compiler can use vector instructions without waiting on
    /// one running sum.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var index = 0
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        while index + 8 <= count {
            lanes += rawA.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            index += 8
        }
        var sum = lanes.sum()
        while index < count {
            sum += a[index] * b[index]
            index += 1
        }
        return sum
    }

    /// Four dot products at once: `a` with `b`, `b + 1`, `b + 2` and `b + 3`, sharing the loads of `a`.
    @inline(__always)
    static func dot4(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> SIMD4<Float> {
        var s0 = SIMD4<Float>(), s1 = SIMD4<Float>(), s2 = SIMD4<Float>(), s3 = SIMD4<Float>()
        var index = 0
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        while index + 4 <= count {
            let x = rawA.loadUnaligned(fromByteOffset: index * 4, as: SIMD4<Float>.self)
            s0 += x * rawB.loadUnaligned(fromByteOffset: index * 4, as: SIMD4<Float>.self)
            s1 += x * rawB.loadUnaligned(fromByteOffset: index * 4 + 4, as: SIMD4<Float>.self)
            s2 += x * rawB.loadUnaligned(fromByteOffset: index * 4 + 8, as: SIMD4<Float>.self)
            s3 += x * rawB.loadUnaligned(fromByteOffset: index * 4 + 12, as: SIMD4<Float>.self)
            index += 4
        }
        var sums = SIMD4(s0.sum(), s1.sum(), s2.sum(), s3.sum())
        while index < count {
            sums += a[index] * SIMD4(b[index], b[index + 1], b[index + 2], b[index + 3])
            index += 1
        }
        return sums
    }
}
