import Foundation

/// The measures of one analysis frame of PCM16, taken in a single pass over its samples.
struct FrameMeasures: Sendable {
    /// Mean square, full scale = 1.
    var energy: Double
    /// Fraction of samples at |s| ≥ 32,000.
    var clippedFraction: Double
    /// The largest share of the frame's energy that two neighbouring 2.5 ms blocks hold: near 1 for a click or a
    /// key, about 0.25 for speech or steady noise.
    var peakShare: Double
    /// The share of the energy below about 2 kHz: low for hiss ("s", "f", "t"), high for voices, coughs and hum.
    var lowShare: Double
}

/// Measures frames, and sums each group of input samples into one sample of a low-rate (about 4 kHz) signal for
/// `Periodicity`. Nothing here depends on the previous sample's result, so the loop runs at the speed of memory.
struct FrameMeter: Sendable {
    let frameSamples: Int
    let groupsPerFrame: Int
    /// Input samples per low-rate sample; the frame's last group also takes the remainder.
    let groupSamples: Int
    /// Low-rate samples per 2.5 ms block.
    static let blockGroups = 10

    init(sampleRate: Int, frameMs: Int) {
        frameSamples = max(1, sampleRate * frameMs / 1000)
        groupsPerFrame = max(1, min(frameSamples, Periodicity.rate * frameMs / 1000))
        groupSamples = frameSamples / groupsPerFrame
    }

    /// Measures the `frameSamples` little-endian PCM16 samples at `samples` (any alignment) and writes the frame's
    /// `groupsPerFrame` low-rate samples to `low`. The samples are read where they are, without a copy.
    func measure(_ samples: UnsafeRawPointer, low: UnsafeMutablePointer<Float>) -> FrameMeasures {
        // Energy and clipping in 2.5 ms blocks; the last block takes the remainder.
        let blockSamples = Self.blockGroups * groupSamples
        var frameEnergy: Float = 0
        var clipped = 0
        var previousBlock: Float = 0
        var loudestPair: Float = 0
        var start = 0
        while start < frameSamples {
            let end = frameSamples - start < 2 * blockSamples ? frameSamples : start + blockSamples
            let (energy, clips) = Self.squares(samples + 2 * start, count: end - start)
            loudestPair = max(loudestPair, energy + previousBlock)
            previousBlock = energy
            frameEnergy += energy
            clipped += clips
            start = end
        }
        writeLowRate(samples, to: low)
        let lowEnergy = Double(Periodicity.dot(low, low, groupsPerFrame)) / Double(groupsPerFrame)
        return FrameMeasures(energy: Double(frameEnergy) / Double(frameSamples) / (32_768.0 * 32_768.0),
                             clippedFraction: Double(clipped) / Double(frameSamples),
                             peakShare: frameEnergy > 0 ? Double(loudestPair) / Double(frameEnergy) : 0,
                             lowShare: frameEnergy > 0 ? lowEnergy * Double(frameSamples) * 32_768 * 32_768 / Double(frameEnergy) : 0)
    }

    /// One low-rate sample per group: its samples' sum, scaled. The last group may hold a few more samples than the
    /// others (11.025 per group at 44.1 kHz); it is scaled as the others, which does not matter to the pitch.
    /// The sums are exact integers, so how they are added up does not change the result.
    private func writeLowRate(_ samples: UnsafeRawPointer, to low: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(groupSamples * 32_768)
        var group = 0
        // 16 kHz, four samples a group: four groups from each 16 samples, in vector instructions. The last group,
        // which may take a remainder, is left to the loop below.
        if groupSamples == 4 {
            while group + 4 < groupsPerFrame {
                let first = Self.load8(samples, at: 4 * group)
                let second = Self.load8(samples, at: 4 * group + 8)
                let pairs = SIMD8(lowHalf: first.evenHalf &+ first.oddHalf, highHalf: second.evenHalf &+ second.oddHalf)
                let fours = pairs.evenHalf &+ pairs.oddHalf
                UnsafeMutableRawPointer(low + group).storeBytes(of: SIMD4<Float>(fours) * scale, as: SIMD4<Float>.self)
                group += 4
            }
        }
        while group < groupsPerFrame {
            let first = group &* groupSamples
            let last = group == groupsPerFrame - 1 ? frameSamples : first &+ groupSamples
            var sum: Int32 = 0
            for index in first..<last { sum &+= Int32(Self.load(samples, at: index)) }
            low[group] = Float(sum) * scale
            group += 1
        }
    }

    /// The sum of squares of `count` samples (in single precision: exact enough for levels, and eight at a time)
    /// and how many of them clip (|s| ≥ 32,000). Samples are counted one by one only when the sum shows that one
    /// of them could clip.
    @inline(__always)
    static func squares(_ samples: UnsafeRawPointer, count: Int) -> (Float, Int) {
        var sums = SIMD8<Float>()
        var index = 0
        while index + 8 <= count {
            let values = SIMD8<Float>(load8(samples, at: index))
            sums += values * values
            index += 8
        }
        var sum = sums.sum()
        while index < count {
            let sample = Float(load(samples, at: index))
            sum += sample * sample
            index += 1
        }
        guard sum >= 32_000 * 32_000 else { return (sum, 0) }
        var clipped = 0
        for offset in 0..<count where abs(Int(load(samples, at: offset))) >= 32_000 { clipped += 1 }
        return (sum, clipped)
    }

    /// The little-endian sample `index` of `samples`.
    @inline(__always)
    private static func load(_ samples: UnsafeRawPointer, at index: Int) -> Int16 {
        Int16(littleEndian: samples.loadUnaligned(fromByteOffset: 2 * index, as: Int16.self))
    }

    /// The eight little-endian samples from `index` of `samples`, widened.
    @inline(__always)
    private static func load8(_ samples: UnsafeRawPointer, at index: Int) -> SIMD8<Int32> {
        var values = samples.loadUnaligned(fromByteOffset: 2 * index, as: SIMD8<Int16>.self)
        #if _endian(big)
        for lane in values.indices { values[lane] = Int16(littleEndian: values[lane]) }
        #endif
        return SIMD8<Int32>(truncatingIfNeeded: values)
    }
}
