import Foundation
import Testing
import Audio

@Suite struct WAVFramingTests {
    /// 16 kHz, 20 ms: 320 samples, 640 bytes per frame; 1000 samples leave a last frame of 40.
    @Test func framesOf20msAt16kHz() {
        let wav = WAVFile(sampleRate: 16_000, pcm16: rampSamples(1_000))
        let frames = wav.frames(milliseconds: 20)
        #expect(frames.map(\.count) == [640, 640, 640, 80])
        #expect(frames.reduce(Data(), +) == wav.pcm16)
    }

    @Test func exactMultipleHasNoShortFrame() {
        let frames = WAVFile(sampleRate: 16_000, pcm16: rampSamples(640)).frames(milliseconds: 20)
        #expect(frames.map(\.count) == [640, 640])
    }

    @Test func framesFollowTheSampleRate() {
        let frames = WAVFile(sampleRate: 48_000, pcm16: rampSamples(4_800)).frames(milliseconds: 40)
        #expect(frames.count == 3)
        #expect(frames.first?.count == 3_840)
        #expect(frames.last?.count == 1_920)
    }

    @Test func noSamplesNoFrames() {
        #expect(WAVFile(sampleRate: 16_000, pcm16: Data()).frames(milliseconds: 20).isEmpty)
    }

    @Test func framesAreIndependentDataStartingAtZero() throws {
        let frames = WAVFile(sampleRate: 16_000, pcm16: rampSamples(700)).frames(milliseconds: 20)
        let second = try #require(frames.dropFirst().first)
        #expect(second.startIndex == 0)
        #expect(second == rampSamples(700).subdata(in: 640..<1_280))
    }

    @Test func durationMs() {
        #expect(WAVFile(sampleRate: 16_000, pcm16: rampSamples(16_000)).durationMs == 1_000)
        #expect(WAVFile(sampleRate: 16_000, pcm16: rampSamples(8_008)).durationMs == 500)
        #expect(WAVFile(sampleRate: 22_050, pcm16: rampSamples(44_100)).durationMs == 2_000)
        #expect(WAVFile(sampleRate: 16_000, pcm16: Data()).durationMs == 0)
    }
}
