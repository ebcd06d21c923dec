import Foundation
import Interview
import Model

/// The model's part of an interview on a service thread: the machine asks for a follow-up's wording, the
/// provider's bounded client streams it on its own queue, the output checks run there too, and the first token and
/// the checked result come back through the completion queue as machine inputs. Nothing here waits.
extension ServiceLoop {
    /// `requestFollowUpWording`: refused at once (the template then) when there is no model or its bounds are full.
    func requestFollowUpWording(_ request: FollowUpWordingRequest, on connection: InterviewConnection) {
        guard let model = services.model else {
            return run(connection.machine.followUpWordingFinished(requestID: request.requestID,
                                                                  result: .failed(reason: "no model"), at: now), on: connection)
        }
        let serial = connection.serial
        let requestID = request.requestID
        let call = submitCounted(FollowUpWording.chatRequest(for: request), to: model, timeout: model.callTimeout, urgent: true) {
            [weak self, completions] event in
            let input: ModelInput
            switch event {
            case .firstToken:
                input = .started
            case .finished(.success(let text)):
                switch FollowUpWordingCheck.check(text, for: request) {
                case .success(let checked): input = .finished(.wording(checked))
                case .failure(let rejection): input = .finished(.failed(reason: "rejected: \(rejection)"))
                }
            case .finished(.failure(let failure)):
                input = .finished(.failed(reason: "\(failure)"))
            }
            if case .finished(let result) = input, result != .failed(reason: "\(ModelFailure.cancelled)") {
                if case .failed(let reason) = result { model.noteOutcome(reason) } else { model.noteOutcome(nil) }
            }
            guard let loop = self else { return }
            completions.post { [weak loop] in loop?.modelInputArrived(input, requestID: requestID, serial: serial) }
        }
        // A refusal has already come back (posted); otherwise the call is kept for `cancelModelRequest`.
        connection.modelCalls[requestID] = call
    }

    /// `requestAnswerGrade`: the model grades the answer as JSON (`response_format: json_schema`) on its own queue;
    /// the parsed, checked grade (or nil) comes back as `answerGraded`. The interview never waits for it.
    func requestAnswerGrade(_ request: AnswerGradeRequest, on connection: InterviewConnection) {
        guard let model = services.model else {
            return run(connection.machine.answerGraded(requestID: request.requestID, grade: nil, at: now), on: connection)
        }
        let serial = connection.serial
        let chat = AnswerGrading.chatRequest(question: request.question, answer: request.answer, rubric: request.rubric,
                                             instructions: request.prompt)
        let criteria = AnswerGrading.criteria(of: request.rubric)
        let call = submitCounted(chat, to: model, timeout: model.gradingTimeout) { [weak self, completions] event in
            guard case .finished(let result) = event else { return }
            let grade: ModelGrade? = if case .success(let text) = result,
                case .success(let parsed) = AnswerGrading.parse(text, answer: request.answer, criteria: criteria) { parsed } else { nil }
            guard let loop = self else { return }
            completions.post { [weak loop] in loop?.gradeArrived(grade, requestID: request.requestID, serial: serial) }
        }
        connection.modelCalls[request.requestID] = call
    }

    private func gradeArrived(_ grade: ModelGrade?, requestID: Int, serial: UInt64) {
        guard let connection = interviewsBySerial[serial] else { return }
        connection.modelCalls[requestID] = nil
        run(connection.machine.answerGraded(requestID: requestID, grade: grade, at: now), on: connection)
    }

    /// `requestReportWriting`: the session is over; the model's summary and things to practise, when they come and
    /// pass the checks, are stored with the report (after the session's own records: one writer, in order), and
    /// the outcome goes back to the connection's machine if the connection is still open (`report.written`).
    func requestReportWriting(_ request: ReportWritingRequest, on connection: InterviewConnection) {
        guard let model = services.model else {
            return run(connection.machine.reportWritingFinished(nil, at: now), on: connection)
        }
        let accountID = connection.accountID
        let serial = connection.serial
        submitCounted(ReportWriting.chatRequest(for: request), to: model, timeout: model.gradingTimeout) {
            [weak self, completions, services, logger] event in
            guard case .finished(let result) = event else { return }
            var written: WrittenReport?
            if case .success(let text) = result, case .success(let parsed) = ReportWriting.parse(text, model: model.configuration.name) {
                written = parsed
                var report = request.report
                report.written = parsed
                services.writer.write(.reportWritten(sessionID: request.sessionID, report: report), accountID: accountID,
                                      logger: logger)
            }
            guard let loop = self else { return }
            completions.post { [weak loop, written] in loop?.writtenReportArrived(written, serial: serial) }
        }
    }

    private func writtenReportArrived(_ written: WrittenReport?, serial: UInt64) {
        guard let connection = interviewsBySerial[serial] else { return }
        run(connection.machine.reportWritingFinished(written, at: now), on: connection)
    }

    /// Every model call goes through here, so `/metrics` counts each: its outcome and latency when it finishes, or
    /// a refusal by the engine's bounds. One the engine cancelled is neither (the service did not fail).
    @discardableResult
    private func submitCounted(_ request: ChatRequest, to model: ModelProvider, timeout: TimeInterval, urgent: Bool = false,
                               onEvent: @escaping @Sendable (ChatStreamEvent) -> Void) -> ModelCall {
        let startedNs = DispatchTime.now().uptimeNanoseconds
        let calls = services.metrics.modelCalls
        return model.limiter.submit(request, timeout: timeout, urgent: urgent) { event in
            switch event {
            case .finished(.success): calls.finished(succeeded: true, startedNs: startedNs)
            case .finished(.failure(.busy)): calls.refused()
            case .finished(.failure(.cancelled)), .firstToken: break
            case .finished(.failure): calls.finished(succeeded: false, startedNs: startedNs)
            }
            onEvent(event)
        }
    }

    /// `cancelModelRequest`: the machine gave up on this wording.
    func cancelModelRequest(_ requestID: Int, on connection: InterviewConnection) {
        connection.modelCalls.removeValue(forKey: requestID)?.cancel()
    }

    enum ModelInput: Sendable {
        case started
        case finished(FollowUpWordingResult)
    }

    /// A model event, on this thread: to the machine of the connection that asked, if it is still here (one that
    /// has gone resolved its wording when it went).
    private func modelInputArrived(_ input: ModelInput, requestID: Int, serial: UInt64) {
        guard let connection = interviewsBySerial[serial] else { return }
        switch input {
        case .started:
            connection.machine.followUpWordingStarted(requestID: requestID)
            run([], on: connection)  // the deadline moved from the first-token budget to the total one
        case .finished(let result):
            connection.modelCalls[requestID] = nil
            run(connection.machine.followUpWordingFinished(requestID: requestID, result: result, at: now), on: connection)
        }
    }
}
