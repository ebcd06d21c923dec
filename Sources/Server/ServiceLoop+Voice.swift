import Audio
import Foundation
import Interview

/// The voice path of a connection: accepted audio goes to the recording, the voice activity detector (whose speech
/// events go back to the machine) and, when the engine transcribes, a buffer of the speech sent to the transcriber.
extension ServiceLoop {
    /// A voice session gets a detector, and a recorder when the candidate consented.
    func startVoice(_ request: SessionStartRequest, sessionID: String, on connection: InterviewConnection) {
        connection.detector = VoiceActivityDetector(sampleRate: request.sampleRate)
        if request.record, let file = RecordingFiles.file(forSession: sessionID, dataDirectory: configuration.dataDirectory) {
            connection.recorder = SessionRecorder(file: file, sampleRate: request.sampleRate,
                                                  logger: sessionLogger(connection, sessionID: sessionID))
        }
    }

    /// The session did not start after all: nothing was recorded.
    func stopVoice(on connection: InterviewConnection) {
        connection.detector = nil
        if let recorder = connection.recorder {
            recorder.discard()
            connection.recorder = nil
        }
    }

    /// `forwardAudio`: an accepted frame.
    func forward(_ frame: Data, on connection: InterviewConnection) {
        connection.recorder?.append(frame)
        guard connection.detector != nil else { return }
        let transcribes = services.transcription != nil
        if transcribes { connection.speechBuffer.append(frame) }
        // In place: a copy of the detector taken out and put back would copy its buffers on every frame.
        let events = connection.detector!.process(frame)
        let detector = connection.detector!
        let clipping = detector.lastClippedFraction > 0.01
        if clipping != connection.clipping {  // the machine hears of changes only, not of every frame
            connection.clipping = clipping
            connection.machine.clippingChanged(clipping)
        }
        for event in events {
            switch event {
            case .speechStarted(let audioMs):
                connection.trimSpeechBuffer(keepingFrom: audioMs - 300, rate: detector.sampleRate)
                run(connection.machine.speechStarted(atAudioMs: audioMs, at: now), on: connection)
            case .speechStopped(let audioMs):
                run(connection.machine.speechStopped(atAudioMs: audioMs, at: now), on: connection)
            }
        }
        if transcribes, !detector.isSpeaking {
            // Between stretches of speech keep only a lead-in: long enough to hold speech the detector has not yet
            // confirmed (it needs 400 ms of voice) plus a little before it. Trimmed a second at a time rather than a
            // frame at a time; the start of speech trims it exactly.
            let leadIn = Int64(detector.settings.minimumSpeechMs + detector.settings.hangoverMs + 300)
            connection.trimSpeechBuffer(keepingFrom: detector.processedMs - leadIn, rate: detector.sampleRate,
                                        minimumDropMs: 1_000)
        }
    }

    /// `transcribe`: sends the buffered stretch of speech to the transcriber, off the thread: the whole stretch
    /// when it has ended (`final`, and the buffer starts again), or a copy of it so far for an interim transcript.
    /// The transcriber's bounds may refuse it; the machine then hears nil at once and the interview goes on. The text
    /// comes back to whichever thread serves the session by then (it may have been resumed elsewhere), or to the
    /// parked session itself.
    func transcribe(questionID: String, final: Bool, on connection: InterviewConnection) {
        guard let transcription = services.transcription, let detector = connection.detector,
              let sessionID = connection.machine.sessionID else {
            return run(connection.machine.serverTranscriptionFinished(nil, questionID: questionID, final: final, at: now),
                       on: connection)
        }
        guard !connection.speechBuffer.isEmpty else {
            // Nothing to send: no words, at once, so the machine stops waiting.
            return run(connection.machine.serverTranscriptionFinished("", questionID: questionID, final: final, at: now),
                       on: connection)
        }
        let audio = WAVFile(sampleRate: detector.sampleRate, pcm16: connection.speechBuffer)
        if final {
            connection.speechBuffer.removeAll(keepingCapacity: true)
            connection.speechBufferStartMs = detector.processedMs
        }
        let accepted = transcription.submit(audio, interim: !final) { [services] result in
            let text = try? result.get()
            services.deliverTranscription(text, sessionID: sessionID, questionID: questionID, final: final)
        }
        if !accepted {
            run(connection.machine.serverTranscriptionFinished(nil, questionID: questionID, final: final, at: now), on: connection)
        }
    }

    /// A transcription for `sessionID`, on this loop's thread: to the session if its connection `serial` still
    /// serves it here.
    func transcriptionArrived(_ text: String?, sessionID: String, serial: UInt64, questionID: String, final: Bool) {
        if let connection = interviewsBySerial[serial], connection.machine.sessionID == sessionID {
            run(connection.machine.serverTranscriptionFinished(text, questionID: questionID, final: final, at: now),
                on: connection)
        } else {
            services.deliverTranscription(text, sessionID: sessionID, questionID: questionID, final: final, toParkedOnly: true)
        }
    }
}

extension EngineServices {
    /// Routes a transcription to the thread that serves its session now, or into the parked session's answer.
    func deliverTranscription(_ text: String?, sessionID: String, questionID: String, final: Bool,
                              toParkedOnly: Bool = false) {
        let delivered = sessions.withParked(sessionID) { connection in
            _ = connection.machine.serverTranscriptionFinished(text, questionID: questionID, final: final, at: clock())
        }
        guard !delivered, !toParkedOnly, let (loop, serial) = sessions.owner(of: sessionID) else { return }
        loop.completions.post { [weak loop] in
            loop?.transcriptionArrived(text, sessionID: sessionID, serial: serial, questionID: questionID, final: final)
        }
    }
}
