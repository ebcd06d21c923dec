import Testing
@testable import Bot

@Suite struct MicrophoneClockTests {
    static let ms: UInt64 = 1_000_000

    @Test func eachFrameIsDueOnTheCandidatesOwnClockNotOnTheGeneratorsTick() {
        // Opened 7 ms into the generator's period: frames fall due at 7, 27, 47 ms …
        var microphone = MicrophoneClock(openedAtNs: 1_000 * Self.ms + 7 * Self.ms, maxCatchUp: 5)
        #expect(microphone.due(at: 1_000 * Self.ms + 6 * Self.ms) == (0, 0, 0))
        #expect(microphone.due(at: 1_000 * Self.ms + 7 * Self.ms) == (0, 1, 0))
        #expect(microphone.due(at: 1_000 * Self.ms + 9 * Self.ms) == (1, 0, 0))
        #expect(microphone.due(at: 1_000 * Self.ms + 26 * Self.ms) == (1, 0, 0))
        #expect(microphone.nextDueNs == 1_027 * Self.ms)
        #expect(microphone.due(at: 1_000 * Self.ms + 27 * Self.ms) == (1, 1, 0))
        #expect(microphone.frames == 2)
    }

    @Test func aLateWakeupSendsEveryFrameDueSinceTheLastOne() {
        var microphone = MicrophoneClock(openedAtNs: 0, maxCatchUp: 5)
        #expect(microphone.due(at: 0) == (0, 1, 0))
        #expect(microphone.due(at: 65 * Self.ms) == (1, 3, 0))  // frames due at 20, 40 and 60 ms
        #expect(microphone.nextDueNs == 80 * Self.ms)
    }

    @Test func aMicrophoneFallingTooFarBehindDropsTheOldestFramesAndKeepsItsNumbering() {
        var microphone = MicrophoneClock(openedAtNs: 0, maxCatchUp: 5)
        #expect(microphone.due(at: 0) == (0, 1, 0))
        // 200 ms late: frames 1…10 are due; five are sent and five dropped, and the clock moves on by the dropped.
        #expect(microphone.due(at: 200 * Self.ms) == (1, 5, 5))
        #expect(microphone.startNs == 100 * Self.ms)
        #expect(microphone.nextDueNs == 220 * Self.ms)
        #expect(microphone.due(at: 219 * Self.ms) == (6, 0, 0))
        #expect(microphone.due(at: 220 * Self.ms) == (6, 1, 0))
    }
}
