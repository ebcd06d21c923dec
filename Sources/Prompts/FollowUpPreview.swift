import Interview

/// What `jestry prompts preview` shows an author: how the engine reads an answer, which follow-up it picks and why,
/// and the rendered text.
public enum FollowUpPreview {
    public enum Problem: Error, CustomStringConvertible {
        case unknownQuestion(String, known: [String])
        case questionNotInTrack(String, track: String)

        public var description: String {
            switch self {
            case .unknownQuestion(let id, let known): "no question \"\(id)\"; questions: \(known.joined(separator: ", "))"
            case .questionNotInTrack(let id, let track): "question \"\(id)\" is not in track \"\(track)\""
            }
        }
    }

    /// `alreadyAsked`: follow-ups asked earlier in the session, which the selector never repeats.
    public static func report(library: PromptLibrary, questionID: String, answer: String, trackID: String? = nil,
                              followUpsAsked: Int = 0, alreadyAsked: [String] = []) throws(Problem) -> String {
        guard let question = library.templates[questionID], question.kind == .question else {
            throw .unknownQuestion(questionID, known: library.templates(of: .question).map(\.id))
        }
        let track = trackID ?? library.sortedTracks.first { $0.questionIDs.contains(questionID) }?.id ?? question.track ?? ""
        guard let plan = library.fullPlan(forTrack: track), let main = plan.mainQuestion(id: questionID) else {
            throw .questionNotInTrack(questionID, track: track)
        }
        let analysis = AnswerAnalyzer.analyze(answer)
        let context = FollowUpContext(mainQuestion: main, answerText: answer, answer: analysis,
                                      followUpsAsked: followUpsAsked, usedTemplates: Set(alreadyAsked),
                                      targetAnswerSeconds: plan.targetAnswerSeconds)
        var lines = [
            "Question \(questionID) (track \(track), topic \(main.topic)):",
            "  \(main.text)",
            "",
            "The answer: \(analysis.wordCount) words; numbers: \(analysis.mentionsNumbers ? "yes" : "no"); "
                + "STAR parts: \(analysis.starParts.sorted().map(\.rawValue).joined(separator: ", ").nonEmpty ?? "none"); "
                + "fillers: \(analysis.fillerCount) (\(analysis.fillersPer100Words) per 100 words); "
                + "I: \(analysis.firstPersonSingular), we: \(analysis.firstPersonPlural)",
            "Conditions that hold: " + (FollowUpCondition.allCases.filter { $0.holds(in: context) }.map(\.rawValue)
                .joined(separator: ", ").nonEmpty ?? "none"),
            "",
        ]
        let (chosen, considered) = plan.explainFollowUp(for: context)
        if let chosen, let rendered = plan.followUp(for: context) {
            lines.append("Follow-up: \(chosen.id) (priority \(chosen.priority), version \(chosen.version))")
            lines.append("  because: \(chosen.conditions.map(\.rawValue).joined(separator: ", ")) held")
            lines.append("  text: \(rendered.text)")
        } else if let content = plan.contentFollowUp(for: context) {
            lines.append("Follow-up: none by the rules; a template interviewer moves on to the next question.")
            lines.append("  A model interviewer asks its own question (content follow-up \(content.template.id), version "
                         + "\(content.template.version)); if its wording fails, it moves on too.")
        } else {
            lines.append("Follow-up: none; the interviewer moves on to the next question.")
        }
        lines.append("")
        lines.append("Considered, in order:")
        for item in considered {
            lines.append("  \(item.template.id) (priority \(item.template.priority)): \(item.passedOver ?? "chosen")")
        }
        return lines.joined(separator: "\n")
    }
}

extension FollowUpPreview {
    /// What a model interviewer would be asked to word after this answer (the conversation being the main question
    /// and the answer): the follow-up the rules chose, else the track's content follow-up (its `templateText` is
    /// empty: nothing stands in for it). Nil when neither applies or the chosen template has no `model:` instructions.
    public static func wordingRequest(library: PromptLibrary, questionID: String, answer: String, trackID: String? = nil,
                                      followUpsAsked: Int = 0, alreadyAsked: [String] = [],
                                      maxWords: Int = 45) -> FollowUpWordingRequest? {
        guard let question = library.templates[questionID], question.kind == .question else { return nil }
        let track = trackID ?? library.sortedTracks.first { $0.questionIDs.contains(questionID) }?.id ?? question.track ?? ""
        guard let plan = library.fullPlan(forTrack: track), let main = plan.mainQuestion(id: questionID) else { return nil }
        let context = FollowUpContext(mainQuestion: main, answerText: answer, answer: AnswerAnalyzer.analyze(answer),
                                      followUpsAsked: followUpsAsked, usedTemplates: Set(alreadyAsked),
                                      targetAnswerSeconds: plan.targetAnswerSeconds)
        guard let followUp = plan.followUp(for: context) ?? plan.contentFollowUp(for: context),
              let prompt = followUp.modelPrompt else { return nil }
        return FollowUpWordingRequest(requestID: 1, sessionID: "preview", template: followUp.template,
                                      templateText: followUp.text, prompt: prompt,
                                      conversation: [ConversationTurn(question: main.text, answer: answer)],
                                      earlierQuestions: [main.text], language: "en", maxWords: maxWords)
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
