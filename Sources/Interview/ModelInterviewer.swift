/// Who words the follow-up questions of a session (`interviewer` in `session.started`).
public enum InterviewerKind: String, Sendable, Equatable, Codable {
    /// A language model words each follow-up from the template's `model:` instructions and the conversation; the
    /// template's own text stands in whenever the model fails, is late or says something unfit to ask.
    case model
    /// Every question is the template's own text.
    case template
}

/// Where the wording of one asked question came from (`source` on `question`, stored with the question).
public enum QuestionSource: String, Sendable, Equatable, Codable {
    case model
    case template
}

/// How long the candidate may wait for a model's wording before the template's text is asked instead.
public struct ModelLatencyBudget: Sendable, Equatable {
    /// From the request to the model's first token.
    public var firstTokenMs: Int64
    /// From the request to the whole wording.
    public var totalMs: Int64

    /// Keeps a turn under about 3 s with a local GPU server; a hosted API on a good day fits as well.
    public init(firstTokenMs: Int64 = 1_000, totalMs: Int64 = 2_500) {
        self.firstTokenMs = firstTokenMs
        self.totalMs = max(firstTokenMs, totalMs)
    }
}

/// The session has a model interviewer: which model, and the budget each follow-up's wording must meet.
public struct ModelInterviewer: Sendable, Equatable {
    /// Stored with every question the model worded.
    public var modelName: String
    public var budget: ModelLatencyBudget
    /// A worded follow-up may have at most this many words.
    public var maxWords: Int
    /// After `session.ended` the connection stays open this long for the model's written report
    /// (`report.written`); the report is stored whenever it comes.
    public var reportWaitMs: Int64

    public init(modelName: String, budget: ModelLatencyBudget = ModelLatencyBudget(), maxWords: Int = 45,
                reportWaitMs: Int64 = 8_000) {
        self.modelName = modelName
        self.budget = budget
        self.maxWords = maxWords
        self.reportWaitMs = reportWaitMs
    }
}

/// A template's `model:` instructions, rendered for one moment of the interview.
public struct ModelPrompt: Sendable, Equatable {
    public var system: String?
    public var user: String?

    public init(system: String?, user: String?) {
        self.system = system
        self.user = user
    }
}

/// One question and the candidate's answer to it, as the model is shown the conversation so far.
public struct ConversationTurn: Sendable, Equatable {
    public var question: String
    public var answer: String

    public init(question: String, answer: String) {
        self.question = question
        self.answer = answer
    }
}

/// What the machine asks the driver to have a model word: the follow-up a template chose, with everything the
/// model is shown and everything its output is checked against.
public struct FollowUpWordingRequest: Sendable, Equatable {
    /// Unique within the session; the answer names it, so a late answer to an older request is ignored.
    public var requestID: Int
    public var sessionID: String
    /// The chosen follow-up template, and its own text: the floor if the model's wording is not used.
    public var template: TemplateRef
    public var templateText: String
    public var prompt: ModelPrompt
    /// The questions and answers so far in this session, oldest first, bounded (`ConversationWindow`).
    public var conversation: [ConversationTurn]
    /// Every question asked so far in the session: the wording must not repeat one.
    public var earlierQuestions: [String]
    /// The session's language (BCP 47); the wording must be in it.
    public var language: String
    public var maxWords: Int

    public init(requestID: Int, sessionID: String, template: TemplateRef, templateText: String, prompt: ModelPrompt,
                conversation: [ConversationTurn], earlierQuestions: [String], language: String, maxWords: Int) {
        self.requestID = requestID
        self.sessionID = sessionID
        self.template = template
        self.templateText = templateText
        self.prompt = prompt
        self.conversation = conversation
        self.earlierQuestions = earlierQuestions
        self.language = language
        self.maxWords = maxWords
    }
}

/// The driver's answer to `requestFollowUpWording`, after the output checks.
public enum FollowUpWordingResult: Sendable, Equatable {
    /// Checked wording, ready to ask.
    case wording(String)
    /// No usable wording: the model failed (status, connection, timeout), was refused by the engine's bounds, or
    /// said something the checks rejected. `reason` is for the logs, never shown to the candidate.
    case failed(reason: String)
}

/// The conversation the model is shown: the latest turns that fit, so a long interview never makes a long prompt.
public enum ConversationWindow {
    /// At most this many turns…
    public static let maxTurns = 6
    /// …and this many characters of answers and questions in all; an answer longer than `maxAnswerCharacters` is
    /// cut to its first part.
    public static let maxCharacters = 6_000
    public static let maxAnswerCharacters = 1_500

    public static func bounded(_ turns: [ConversationTurn]) -> [ConversationTurn] {
        var kept: [ConversationTurn] = []
        var used = 0
        for turn in turns.reversed().prefix(maxTurns) {
            let answer = turn.answer.count > maxAnswerCharacters ? String(turn.answer.prefix(maxAnswerCharacters)) + "…" : turn.answer
            let size = turn.question.count + answer.count
            if used + size > maxCharacters, !kept.isEmpty { break }
            used += size
            kept.append(ConversationTurn(question: turn.question, answer: answer))
        }
        return kept.reversed()
    }
}

/// A model's grade of one answer: a score per criterion with the words of the answer it rests on.
public struct ModelGrade: Sendable, Equatable {
    public var scores: [ScoreCriterion: Int]
    /// Quoted from the answer; empty when the answer has nothing for the criterion.
    public var evidence: [ScoreCriterion: String]

    public init(scores: [ScoreCriterion: Int], evidence: [ScoreCriterion: String]) {
        self.scores = scores
        self.evidence = evidence
    }
}

/// What the machine asks the driver to have a model grade, off the critical path: the next question does not wait.
public struct AnswerGradeRequest: Sendable, Equatable {
    public var requestID: Int
    public var questionID: String
    public var question: String
    public var answer: String
    public var rubric: Rubric
    /// The rubric template's `model:` instructions.
    public var prompt: ModelPrompt

    public init(requestID: Int, questionID: String, question: String, answer: String, rubric: Rubric, prompt: ModelPrompt) {
        self.requestID = requestID
        self.questionID = questionID
        self.question = question
        self.answer = answer
        self.rubric = rubric
        self.prompt = prompt
    }
}

/// The report's words from the session's model: a short summary and three concrete things to practise.
public struct WrittenReport: Sendable, Equatable, Codable {
    public var summary: String
    public var practise: [String]
    public var model: String

    public init(summary: String, practise: [String], model: String) {
        self.summary = summary
        self.practise = practise
        self.model = model
    }
}

/// What the machine asks the driver to have the model write once the session is over: the conversation (bounded)
/// and the scores. The driver stores the result with the session's report, and gives it to the machine
/// (`reportWritingFinished`) while the connection is still there.
public struct ReportWritingRequest: Sendable, Equatable {
    public var sessionID: String
    public var trackTitle: String
    public var conversation: [ConversationTurn]
    public var report: SessionReport

    public init(sessionID: String, trackTitle: String, conversation: [ConversationTurn], report: SessionReport) {
        self.sessionID = sessionID
        self.trackTitle = trackTitle
        self.conversation = conversation
        self.report = report
    }
}
