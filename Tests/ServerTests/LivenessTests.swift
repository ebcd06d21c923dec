@testable import Server
import Testing

@Suite struct LivenessTests {
    @Test func aSilentClientIsPingedOnceAfter20SecondsAndHungUpOnAfter50() {
        var liveness = Liveness(openedAtMs: 1_000)
        #expect(liveness.check(at: 20_999) == .alive)
        #expect(liveness.check(at: 21_000) == .ping)
        #expect(liveness.check(at: 22_000) == .alive, "one ping per silence")
        #expect(liveness.check(at: 50_999) == .alive)
        #expect(liveness.check(at: 51_000) == .hangUp)
    }

    @Test func everyFrameIsASignOfLifeAndAPongEarnsTheNextPing() {
        var liveness = Liveness(openedAtMs: 0)
        liveness.heard(at: 15_000)
        #expect(liveness.check(at: 34_999) == .alive)
        #expect(liveness.check(at: 35_000) == .ping)
        liveness.heard(at: 35_000)  // the pong, within the same millisecond
        #expect(liveness.check(at: 54_999) == .alive)
        #expect(liveness.check(at: 55_000) == .ping)
        #expect(liveness.check(at: 84_999) == .alive)
        #expect(liveness.check(at: 85_000) == .hangUp)
    }

    @Test func aClientThatKeepsSendingIsNeverPinged() {
        var liveness = Liveness(openedAtMs: 0)
        for second in 1...600 {
            liveness.heard(at: Int64(second) * 1_000 - 20)  // a frame every 20 ms, the last one of each second here
            #expect(liveness.check(at: Int64(second) * 1_000) == .alive)
        }
    }
}
