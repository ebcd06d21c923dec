import Testing
@testable import Interview

@Suite struct UsageMeterTests {
    @Test func countsOnlyWhileRunning() {
        var meter = UsageMeter()
        #expect(meter.unsettled(at: 500) == 0)
        meter.start(at: 1_000)
        #expect(meter.unsettled(at: 1_700) == 700)
        meter.stop(at: 2_000)
        #expect(meter.unsettled(at: 9_000) == 1_000)
    }

    @Test func settlementHandsOutEachMillisecondOnce() {
        var meter = UsageMeter()
        meter.start(at: 0)
        #expect(meter.takeUnsettled(at: 1_000) == 1_000)
        #expect(meter.takeUnsettled(at: 1_000) == 0)
        #expect(meter.takeUnsettled(at: 2_500) == 1_500)
        meter.stop(at: 3_000)
        #expect(meter.takeUnsettled(at: 5_000) == 500)
        #expect(meter.settledMs == 3_000)
        #expect(meter.total(at: 10_000) == 3_000)
    }

    @Test func startingTwiceKeepsTheFirstStart() {
        var meter = UsageMeter()
        meter.start(at: 0)
        meter.start(at: 400)
        #expect(meter.unsettled(at: 1_000) == 1_000)
    }
}
