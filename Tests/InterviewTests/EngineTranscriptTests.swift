import Foundation
import Testing
@testable import Interview

/// The engine's own transcriber, as the machine drives it: interim requests while a long stretch of speech runs (at a
/// bounded rate, one at a time), a final request when it stops, `transcript` events for both, and what happens when
/// a transcription fails or is refused.
@Suite struct EngineTranscriptTests {
    var clock = TestClock()
    var machine: InterviewStateMachine

    init() {
        var settings = InterviewStateMachine.Settings()
        settings.transcribesSpeech = true
        machine = InterviewStateMachine(settings: settings)
    }

    /// Starts a voice session; returns `session.started`.
    mutating func startVoice() -> SessionStarted? {
        machine.start(SessionStartRequest(trackID: "fake", mode: .voice), requestID: nil, sessionID: "S",
                      plan: FakePlan(), balanceMs: 600_000, at: clock.reading)
            .sent.compactMap { if case .sessionStarted(let started, _) = $0 { started } else { nil } }.first
    }

    /// Streams `ms` of audio in 20 ms frames in real time; returns every action.
    mutating func stream(ms: Int) -> [InterviewAction] {
        var actions: [InterviewAction] = []
        for _ in 0..<(ms / 20) { actions += machine.audioReceived(byteCount: 640, at: clock.advance(20)).actions }
        return actions
    }

    static func requests(_ actions: [InterviewAction]) -> [(questionID: String, final: Bool)] {
        actions.compactMap { if case .transcribe(let questionID, let final) = $0 { (questionID, final) } else { nil } }
    }

    static func transcripts(_ actions: [InterviewAction]) -> [(text: String, final: Bool)] {
        actions.sent.compactMap { if case .transcript(_, let text, let final) = $0 { (text, final) } else { nil } }
    }

    static func statuses(_ actions: [InterviewAction]) -> [TranscriptionState] {
        actions.sent.compactMap { if case .transcriptionStatus(let state, _) = $0 { state } else { nil } }
    }

    static func answerText(_ actions: [InterviewAction]) -> String? {
        actions.compactMap { if case .record(.answerGiven(_, _, let text, _, _, _, _, _, _)) = $0 { text } else { nil } }.first
    }

    @Test mutating func sessionStartedSaysWhoTranscribes() {
        #expect(startVoice()?.transcription == .engine)
        var client = InterviewStateMachine()
        let started = client.start(SessionStartRequest(trackID: "fake", mode: .voice), requestID: nil, sessionID: "S",
                                   plan: FakePlan(), balanceMs: 600_000, at: clock.reading)
        #expect(started.sent.contains { if case .sessionStarted(let payload, _) = $0 { payload.transcription == .client } else { false } })
        #expect(String(decoding: ServerMessage.sessionStarted(
            SessionStarted(sessionID: "S", protocolVersion: 1, trackID: "t", trackTitle: "T", mode: .voice, sampleRate: 16_000,
                           mainQuestionCount: 1, balanceMs: 1, transcription: .engine), replyTo: nil).encoded(), as: UTF8.self)
            .contains(#""transcription":"engine""#))
    }

    @Test mutating func aShortStretchGetsOnlyAFinalTranscript() {
        _ = startVoice()
        _ = stream(ms: 500)
        _ = machine.speechStarted(atAudioMs: 500, at: clock.reading)
        #expect(Self.requests(stream(ms: 1_900)).isEmpty)  // 1.9 s of speech: no interim yet
        let stopped = machine.speechStopped(atAudioMs: 2_400, at: clock.reading)
        #expect(Self.requests(stopped).map(\.final) == [true])
        let finished = machine.serverTranscriptionFinished("I led the migration", questionID: "q1", final: true,
                                                           at: clock.advance(300))
        #expect(Self.transcripts(finished).map(\.text) == ["I led the migration"])
        #expect(Self.transcripts(finished).map(\.final) == [true])
        #expect(String(decoding: ServerMessage.transcript(questionID: "q1", text: "I led", isFinal: true).encoded(), as: UTF8.self)
            == #"{"type":"transcript","question_id":"q1","text":"I led","final":true}"#)
    }

    @Test mutating func aLongStretchGetsInterimsAtABoundedRateOneAtATime() {
        _ = startVoice()
        _ = machine.speechStarted(atAudioMs: 0, at: clock.reading)
        // After 2 s of speech the stretch so far is transcribed; while that is out, no second interim is asked for.
        let first = stream(ms: 2_000)
        #expect(Self.requests(first).map(\.final) == [false])
        #expect(Self.requests(stream(ms: 3_000)).isEmpty)
        let interim = machine.serverTranscriptionFinished("I led the", questionID: "q1", final: false, at: clock.reading)
        #expect(Self.transcripts(interim).map(\.text) == ["I led the"])
        #expect(Self.transcripts(interim).map(\.final) == [false])
        // The interim counts in the live word count.
        #expect(interim.feedback.last?.wordCount == 3)
        // Answered, the next one comes at once (3 s since the last request is past the 1.5 s bound)…
        #expect(Self.requests(stream(ms: 20)).map(\.final) == [false])
        _ = machine.serverTranscriptionFinished("I led the migration", questionID: "q1", final: false, at: clock.advance(100))
        // …and then not before 1.5 s after it was asked for.
        #expect(Self.requests(stream(ms: 1_300)).isEmpty)
        #expect(Self.requests(stream(ms: 300)).map(\.final) == [false])
        // The stretch ends while that interim is out: the final is asked for, the late interim dropped.
        let stopped = machine.speechStopped(atAudioMs: 6_620, at: clock.reading)
        #expect(Self.requests(stopped).map(\.final) == [true])
        let late = machine.serverTranscriptionFinished("I led the migr", questionID: "q1", final: false, at: clock.advance(50))
        #expect(late.isEmpty)
        let final = machine.serverTranscriptionFinished("I led the migration to Postgres.", questionID: "q1", final: true,
                                                        at: clock.advance(50))
        #expect(Self.transcripts(final).map(\.text) == ["I led the migration to Postgres."])
        // The final replaced the interim: the answer holds the final once.
        let done = machine.answerDone(requestID: nil, at: clock.advance(100))
        #expect(Self.answerText(done) == "I led the migration to Postgres.")
    }

    @Test mutating func aFailedFinalKeepsTheInterimTellsTheClientOnceAndRecovers() {
        _ = startVoice()
        _ = machine.speechStarted(atAudioMs: 0, at: clock.reading)
        _ = stream(ms: 2_000)
        _ = machine.serverTranscriptionFinished("we cut costs", questionID: "q1", final: false, at: clock.reading)
        _ = stream(ms: 500)
        _ = machine.speechStopped(atAudioMs: 2_500, at: clock.reading)
        // The transcriber failed (or was too busy): the interim stands as the stretch's final text.
        let failed = machine.serverTranscriptionFinished(nil, questionID: "q1", final: true, at: clock.advance(200))
        #expect(Self.statuses(failed) == [.unavailable])
        #expect(Self.transcripts(failed).map(\.text) == ["we cut costs"])
        #expect(Self.transcripts(failed).map(\.final) == [true])
        // A second failure is not announced again; a stretch without an interim adds nothing.
        _ = machine.speechStarted(atAudioMs: 3_000, at: clock.advance(300))
        _ = stream(ms: 1_000)
        _ = machine.speechStopped(atAudioMs: 4_000, at: clock.reading)
        let again = machine.serverTranscriptionFinished(nil, questionID: "q1", final: true, at: clock.advance(200))
        #expect(again.sent.isEmpty)
        // The next success says transcription is back.
        _ = machine.speechStarted(atAudioMs: 5_000, at: clock.advance(300))
        _ = stream(ms: 1_000)
        _ = machine.speechStopped(atAudioMs: 6_000, at: clock.reading)
        let back = machine.serverTranscriptionFinished("by a third", questionID: "q1", final: true, at: clock.advance(200))
        #expect(Self.statuses(back) == [.engine])
        #expect(Self.transcripts(back).map(\.text) == ["by a third"])
        #expect(Self.answerText(machine.answerDone(requestID: nil, at: clock.advance(100))) == "we cut costs by a third")
    }

    @Test mutating func aFailedFinalStillEndsTheTurnOnSilence() {
        _ = startVoice()
        _ = machine.speechStarted(atAudioMs: 0, at: clock.reading)
        _ = stream(ms: 1_000)
        _ = machine.speechStopped(atAudioMs: 1_000, at: clock.reading)
        // While the final is out, 2.5 s of silence does not end the turn (it waits for the words)…
        #expect(!stream(ms: 3_000).sent.contains { if case .turnEnded = $0 { true } else { false } })
        // …once it has failed, the silence already counted ends it.
        _ = machine.serverTranscriptionFinished(nil, questionID: "q1", final: true, at: clock.reading)
        let ended = stream(ms: 40)
        #expect(ended.sent.contains { if case .turnEnded(_, .silence) = $0 { true } else { false } })
    }

    @Test mutating func resultsForAnEndedTurnAreDropped() {
        _ = startVoice()
        _ = machine.speechStarted(atAudioMs: 0, at: clock.reading)
        #expect(Self.requests(stream(ms: 2_000)).map(\.questionID) == ["q1"])
        let next = machine.answerDone(requestID: nil, at: clock.advance(100)).questions.map(\.questionID)
        #expect(next == ["q2"])
        #expect(machine.serverTranscriptionFinished("old words", questionID: "q1", final: false, at: clock.reading).isEmpty)
        #expect(machine.serverTranscriptionFinished("old words", questionID: "q1", final: true, at: clock.reading).isEmpty)
        // The next question's speech gets its own interims (the old one out does not hold them back).
        _ = machine.speechStarted(atAudioMs: 2_000, at: clock.reading)
        #expect(Self.requests(stream(ms: 2_100)).map(\.questionID) == ["q2"])
    }

    @Test mutating func withoutEngineTranscriptionNothingIsRequested() {
        var client = InterviewStateMachine()
        _ = client.start(SessionStartRequest(trackID: "fake", mode: .voice), requestID: nil, sessionID: "S", plan: FakePlan(),
                         balanceMs: 600_000, at: clock.reading)
        _ = client.speechStarted(atAudioMs: 0, at: clock.reading)
        var actions: [InterviewAction] = []
        for _ in 0..<200 { actions += client.audioReceived(byteCount: 640, at: clock.advance(20)).actions }
        actions += client.speechStopped(atAudioMs: 4_000, at: clock.reading)
        #expect(Self.requests(actions).isEmpty)
    }
}
