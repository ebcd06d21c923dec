import EngineClient
import Foundation

/// A microphone: sends `pcm` in 20 ms frames in real time from its own thread, then silence, until `stop`, so the test
/// thread can simply wait for the events it expects. (The sleeps here pace the audio like a sound card does; nothing
/// waits for the server with them.)
final class Microphone: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private let finished = DispatchSemaphore(value: 0)

    init(client: WebSocketClient, pcm: Data, frameBytes: Int = 640) {
        Thread.detachNewThread { [self] in
            let quiet = Data(count: frameBytes)
            let started = Date()
            var offset = 0
            var index = 0
            while isRunning {
                if offset < pcm.count {
                    client.send(binary: pcm.subdata(in: offset..<min(pcm.count, offset + frameBytes)))
                    offset += frameBytes
                } else {
                    client.send(binary: quiet)
                }
                index += 1
                let wait = started.addingTimeInterval(Double(index) * 0.02).timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
            finished.signal()
        }
    }

    private var isRunning: Bool { lock.withLock { running } }

    /// Stops sending; returns once the last frame is out.
    func stop() {
        lock.withLock { running = false }
        finished.wait()
    }
}
