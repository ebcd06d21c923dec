/// A follow-up the rules chose, waiting for the model's wording. The template's text is the floor: it is asked
/// when the wording fails, is rejected, or misses the budget, and when the candidate starts again before it comes.
struct PendingFollowUp: Sendable {
    /// What is asked when no wording comes.
    enum Fallback: Sendable {
        /// The template's own text (a rule chose this follow-up).
        case templateText
        /// Nothing: the interview goes on to the next question (a content follow-up, where no rule fired).
        case nextQuestion
    }

    let requestID: Int
    let planned: PlannedQuestion
    let fallback: Fallback
    let requestedAtMs: Int64
    let budget: ModelLatencyBudget
    /// Until the first token arrives the (shorter) first-token budget applies.
    var firstTokenArrived = false

    /// When the template's text is asked if the wording has not come: the first-token budget until a token
    /// arrived, then the total budget.
    var deadlineMs: Int64 {
        requestedAtMs + (firstTokenArrived ? budget.totalMs : budget.firstTokenMs)
    }
}

extension LiveSession {
    /// Asks the follow-up the rules chose: worded by the model when the session has one and the template has
    /// `model:` instructions (the machine then waits, the candidate is told the interviewer is thinking), else the
    /// template's text at once.
    mutating func askFollowUp(_ followUp: PlannedQuestion, fallback: PendingFollowUp.Fallback = .templateText,
                              at now: ClockReading) -> [InterviewAction] {
        guard let interviewer, let prompt = followUp.modelPrompt else { return ask(followUp, at: now) }
        modelRequestsMade += 1
        let request = FollowUpWordingRequest(
            requestID: modelRequestsMade, sessionID: sessionID, template: followUp.template, templateText: followUp.text,
            prompt: prompt, conversation: ConversationWindow.bounded(conversation), earlierQuestions: askedQuestions,
            language: "en", maxWords: interviewer.maxWords)
        let answered = current?.questionID ?? ""
        pendingFollowUp = PendingFollowUp(requestID: request.requestID, planned: followUp, fallback: fallback,
                                          requestedAtMs: now.monotonicMs, budget: interviewer.budget)
        // No question is open while the interviewer thinks: input now is the candidate starting again.
        current = nil
        currentAskedAt = nil
        return [.send(.interviewerThinking(afterQuestionID: answered, budgetMs: interviewer.budget.totalMs)),
                .requestFollowUpWording(request)]
    }

    /// After a strong answer where no rule fired, a track that opts in (`content_follow_up`) lets the model ask
    /// about what the candidate said: only with a model interviewer, at most once per main question, within the
    /// track's limit of follow-ups. Nil when there is nothing to ask; the interview then moves on.
    mutating func askContentFollowUp(for context: FollowUpContext, at now: ClockReading) -> [InterviewAction]? {
        guard interviewer != nil, !contentFollowUpRequested, let content = plan.contentFollowUp(for: context),
              content.modelPrompt != nil else { return nil }
        contentFollowUpRequested = true
        return askFollowUp(content, fallback: .nextQuestion, at: now)
    }

    /// The model's first token for `requestID` arrived: from now the total budget applies.
    mutating func followUpWordingStarted(requestID: Int) {
        guard pendingFollowUp?.requestID == requestID else { return }
        pendingFollowUp?.firstTokenArrived = true
    }

    /// The wording for `requestID` is done (checked by the driver) or failed. An answer to any other request (one
    /// already given up on) changes nothing.
    mutating func followUpWordingFinished(requestID: Int, result: FollowUpWordingResult,
                                          at now: ClockReading) -> [InterviewAction] {
        guard let pending = pendingFollowUp, pending.requestID == requestID else { return [] }
        pendingFollowUp = nil
        switch result {
        case .wording(let text):
            var worded = pending.planned
            worded.text = text
            if pending.fallback == .nextQuestion {  // a rule's follow-up was counted when the rule chose it
                followUpsForMain += 1
                followUpsAsked += 1
            }
            return ask(worded, source: .model, modelName: interviewer?.modelName, at: now)
        case .failed:
            return askUnworded(pending, at: now)
        }
    }

    /// What stands in for a wording that did not come: the template's text, or for a content follow-up the next
    /// question (after the last one, `interviewComplete`).
    private mutating func askUnworded(_ pending: PendingFollowUp, at now: ClockReading) -> [InterviewAction] {
        switch pending.fallback {
        case .templateText:
            return ask(pending.planned, at: now)
        case .nextQuestion:
            let (actions, finished) = askNextMainQuestion(at: now)
            if finished { interviewComplete = true }
            return actions
        }
    }

    /// Gives up on the wording (the model is cancelled) and asks the template's text now (for a content follow-up,
    /// the next question); nothing when no wording is pending. For the budget running out, the candidate starting
    /// again, and the connection dropping.
    mutating func askTemplateInsteadOfWording(at now: ClockReading) -> [InterviewAction] {
        guard let pending = pendingFollowUp else { return [] }
        pendingFollowUp = nil
        return [.cancelModelRequest(requestID: pending.requestID)] + askUnworded(pending, at: now)
    }

    /// The timer, while a wording is pending: past its budget the template's text is asked.
    mutating func pendingFollowUpTimerFired(at now: ClockReading) -> [InterviewAction] {
        guard let pending = pendingFollowUp, now.monotonicMs >= pending.deadlineMs else { return [] }
        return askTemplateInsteadOfWording(at: now)
    }

    /// The session ends: a pending wording is cancelled and never asked, and grades still out are cancelled (those
    /// answers keep the rules' scores, and so does the report).
    mutating func cancelModelRequests() -> [InterviewAction] {
        var ids = pendingGrades.keys.sorted()
        pendingGrades = [:]
        if let pending = pendingFollowUp { ids.append(pending.requestID) }
        pendingFollowUp = nil
        return ids.sorted().map { .cancelModelRequest(requestID: $0) }
    }

    /// With a model interviewer and a rubric with `model:` instructions, the model grades each scored answer too.
    mutating func gradeRequest(for score: AnswerScore, answer: String) -> AnswerGradeRequest? {
        guard interviewer != nil, let prompt = plan.rubricModelPrompt, !answer.isEmpty, let current else { return nil }
        modelRequestsMade += 1
        pendingGrades[modelRequestsMade] = score
        return AnswerGradeRequest(requestID: modelRequestsMade, questionID: score.questionID, question: current.text,
                                  answer: answer, rubric: plan.rubric.rubric, prompt: prompt)
    }

    /// The model's grade for `requestID` (nil: it failed or was rejected, and the rules' score stands): the answer is
    /// scored again, `scored_by: model`, and stored so; the report uses it.
    mutating func answerGraded(requestID: Int, grade: ModelGrade?) -> [InterviewAction] {
        guard let rules = pendingGrades.removeValue(forKey: requestID), let grade else { return [] }
        let score = AnswerScorer.score(grade, replacing: rules, rubric: plan.rubric.rubric)
        if let index = scores.firstIndex(where: { $0.questionID == score.questionID }) { scores[index] = score }
        return [.record(.answerRescored(sessionID: sessionID, questionID: score.questionID, score: score)),
                .send(.answerScored(score))]
    }
}
