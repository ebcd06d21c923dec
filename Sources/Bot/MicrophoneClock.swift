/// When one candidate's microphone has frames to send: frame `k` is due `k` frame lengths after the microphone
/// opened, on the candidate's own clock.
///
/// Every candidate opens its microphone when its own session starts, so their frames fall at different points of
/// the 20 ms period, as they do from independent clients. The generator wakes more often than once a frame and sends
/// each candidate's frames when they are due; waking once a period instead would send every candidate's frame in one
/// burst. A microphone that falls more than `maxCatchUp` frames behind drops the rest, as a real one would.
struct MicrophoneClock {
    static let frameNs: UInt64 = 20_000_000

    /// When frame 0 was due, moved on by the frames dropped.
    private(set) var startNs: UInt64
    /// Frames handed out so far.
    private(set) var frames = 0
    let maxCatchUp: Int

    init(openedAtNs: UInt64, maxCatchUp: Int) {
        precondition(maxCatchUp > 0)
        startNs = openedAtNs
        self.maxCatchUp = maxCatchUp
    }

    /// When the next frame is due.
    var nextDueNs: UInt64 { startNs + UInt64(frames) * Self.frameNs }

    /// The frames due at `now`, `send` of them to send (numbered from `first`) and `dropped` that the microphone
    /// lost because it fell behind.
    mutating func due(at now: UInt64) -> (first: Int, send: Int, dropped: Int) {
        guard now >= nextDueNs else { return (frames, 0, 0) }  // the common case on a short tick: one comparison
        var send = Int((now - startNs) / Self.frameNs) + 1 - frames
        var dropped = 0
        if send > maxCatchUp {
            dropped = send - maxCatchUp
            startNs += UInt64(dropped) * Self.frameNs
            send = maxCatchUp
        }
        let first = frames
        frames += send
        return (first, send, dropped)
    }
}
