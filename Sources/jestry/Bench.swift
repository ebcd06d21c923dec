import ArgumentParser
import Audio
import Foundation
import Interview
import Prompts

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the engine's hot paths.", subcommands: [AudioPath.self, VoiceActivity.self, Load.self, LoadAccounts.self, MetricsCost.self,
                                                                       Settle.self])

    /// The audio path of a voice session: the state machine's frame checks plus voice activity detection, per
    /// 20 ms frame, for many sessions in turn on one core. Sockets and JSON are left out on purpose: this is the
    /// per-second cost every live voice session adds.
    struct AudioPath: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "audio",
                                                        abstract: "Microseconds of processing per second of audio per session.")

        @Option(help: "Sessions to simulate.")
        var sessions = 200
        @Option(help: "Seconds of audio per session.")
        var seconds = 60
        @Option(help: "A PCM16 mono WAV to loop as the candidate's voice (default: synthetic speech-like bursts).")
        var wav: String?
        @Option(help: "The prompts folder. [env: JESTRY_PROMPTS, default ./Prompts]")
        var prompts: String?
        @Option(help: "What to measure: all, detector (voice activity detection only) or machine (state machine only).")
        var part = "all"

        func run() throws {
            let library = try PromptsCommand.load(Environment.directory(prompts, "JESTRY_PROMPTS", default: "Prompts"))
            guard let track = library.sortedTracks.first, let plan = library.plan(forTrack: track.id) else {
                throw ValidationError("the prompts folder has no track")
            }
            guard ["all", "detector", "machine"].contains(part) else { throw ValidationError("--part is all, detector or machine") }
            let rate = 16_000
            let voice = try wav.map { try WAVFile(contentsOf: URL(fileURLWithPath: $0)).resampled(to: rate).pcm16 } ?? Self.syntheticVoice(rate: rate)
            let frames = WAVFile(sampleRate: rate, pcm16: voice).frames(milliseconds: 20)
            let framesPerSession = seconds * 50
            var events = 0
            let started = DispatchTime.now().uptimeNanoseconds
            for session in 0..<sessions {
                var machine = InterviewStateMachine()
                var detector = VoiceActivityDetector(sampleRate: rate)
                var now = ClockReading(monotonicMs: 0, wall: Date(timeIntervalSince1970: 0))
                _ = machine.start(SessionStartRequest(trackID: track.id, mode: .voice), requestID: nil, sessionID: "bench-\(session)",
                                  plan: plan, balanceMs: Int64(seconds) * 2_000, at: now)
                for index in 0..<framesPerSession {
                    now = now.advanced(byMs: 20)
                    let frame = frames[index % frames.count]
                    var accepted = true
                    if part != "detector" {
                        let result = machine.audioReceived(byteCount: frame.count, at: now)
                        events += result.actions.count
                        accepted = result.accepted
                    }
                    guard accepted, part != "machine" else { continue }
                    for event in detector.process(frame) {
                        switch event {
                        case .speechStarted(let at): events += machine.speechStarted(atAudioMs: at, at: now).count
                        case .speechStopped(let at): events += machine.speechStopped(atAudioMs: at, at: now).count
                        }
                    }
                }
            }
            let elapsedNs = Double(DispatchTime.now().uptimeNanoseconds - started)
            let audioSeconds = Double(sessions * seconds)
            let perSecond = elapsedNs / 1_000 / audioSeconds
            Console.line("sessions: \(sessions), audio per session: \(seconds) s, frames: \(sessions * framesPerSession), actions: \(events)")
            Console.line(String(format: "wall time: %.3f s; %.2f µs of processing per second of audio per session", elapsedNs / 1e9, perSecond))
            Console.line(String(format: "one core keeps up with about %.0f live voice sessions", 1e6 / perSecond))
        }

        /// Two seconds of tone bursts with pauses, over a little noise: enough to make the detector work.
        static func syntheticVoice(rate: Int) -> Data {
            var data = Data()
            var state: UInt64 = 1
            for index in 0..<(rate * 4) {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                let noise = (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.01
                let talking = (index / (rate / 2)) % 3 != 2  // 1 s on, 0.5 s off
                let voice = talking ? sin(2 * .pi * 180 * Double(index) / Double(rate)) * 0.2 : 0
                let sample = Int16((voice + noise) * 32_767)
                withUnsafeBytes(of: sample.littleEndian) { data.append(contentsOf: $0) }
            }
            return data
        }
    }
}
