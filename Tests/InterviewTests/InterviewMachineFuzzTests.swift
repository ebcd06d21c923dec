import Foundation
@testable import Interview
import InterviewFuzzing
import PropertyBased
import Testing

/// Random runs of the decoder and the state machine, each checked against every `Invariant`.
///
/// A failure prints the smallest failing scenario found and its seed; `JESTRY_FUZZ_SEED=<seed>` replays it, and
/// `JESTRY_FUZZ_ITERATIONS` sets the runs per invariant (docs/FUZZING.md).
@Suite struct InterviewMachineFuzzTests {
    /// One test per invariant, so a broken one does not hide the others.
    @Test(FuzzReplay(), arguments: Invariant.allCases)
    func everyRunKeeps(_ invariant: Invariant) async {
        await propertyCheck(count: FuzzReplay.iterations, input: FuzzScenarioGenerator.scenario) { scenario in
            let broken = InterviewInvariants.violations(in: InterviewFuzzDriver.run(scenario)).filter { $0.invariant == invariant }
            #expect(broken.isEmpty, "\(broken.map(\.description).joined(separator: "\n"))")
        }
    }

    /// The generator is worth something only if its runs reach every way a session ends.
    @Test func generatedRunsReachEveryEnd() {
        var reasons: Set<String> = []
        for step in Self.generatedSteps(runs: 200, seed: (1, 2, 3, 4)) {
            for case .record(.sessionEnded(_, let reason, _, _, _)) in step.actions { reasons.insert(reason.rawValue) }
        }
        #expect(reasons == ["completed", "balance_exhausted", "client_ended", "disconnected", "idle", "server_restarting"])
    }

    /// And every way a model request comes back: a worded question, a wording given up on, a grade that rescored
    /// an answer, the written report and its absence.
    @Test func generatedRunsReachTheModelsAnswers() {
        var reached: Set<String> = []
        for step in Self.generatedSteps(runs: 300, seed: (5, 6, 7, 8)) {
            for action in step.actions {
                switch action {
                case .send(.question(let question)) where question.source == .model: reached.insert("worded")
                case .cancelModelRequest: reached.insert("cancelled")
                case .send(.answerScored) where step.modelAnswered != nil: reached.insert("graded")
                case .send(.reportWritten(.some)): reached.insert("report")
                case .send(.reportWritten(nil)): reached.insert("no report")
                default: break
                }
            }
        }
        #expect(reached == ["worded", "cancelled", "graded", "report", "no report"])
    }

    /// Every step of `runs` generated scenarios, from a fixed seed.
    static func generatedSteps(runs: Int, seed: (UInt64, UInt64, UInt64, UInt64)) -> [FuzzStep] {
        var rng = Xoshiro(seed: seed)
        return (0..<runs).flatMap { _ in InterviewFuzzDriver.run(FuzzScenarioGenerator.scenario.run(using: &rng)) }
    }

    /// libFuzzer's byte form reads back what it wrote, so a generated scenario can seed its corpus.
    @Test func byteFormRoundTrips() async {
        await propertyCheck(count: 100, input: FuzzScenarioGenerator.scenario) { scenario in
            let unknownIDs = scenario.inputs.map { input in
                if case .text(let frame, _) = input { FuzzInput.text(frame, requestID: .unknown) } else { input }
            }
            #expect(FuzzScenario(bytes: scenario.bytes) == FuzzScenario(balanceMs: scenario.balanceMs, inputs: unknownIDs))
        }
    }
}

/// The checker itself: each invariant is reported when a run breaks it.
@Suite struct InterviewInvariantsTests {
    func step(_ index: Int, _ actions: [InterviewAction] = [], input: FuzzInput = .timer, usage: Int64 = 0, given: Int64 = 0,
              replyTo: FuzzStep.ReplyTo = .nobody, modelAnswered: Int? = nil) -> FuzzStep {
        FuzzStep(index: index, input: input, actions: actions, usageTaken: usage, balanceGiven: given, inputBytes: 0,
                 replyTo: replyTo, modelAnswered: modelAnswered)
    }

    static let wall = Date(timeIntervalSince1970: 1_800_000_000)
    let started = InterviewAction.record(.sessionStarted(sessionID: "S", trackID: "fuzz", mode: .text, sampleRate: 16_000, at: wall))
    let ended = InterviewAction.record(.sessionEnded(sessionID: "S", reason: .disconnected, summary: SessionSummary(), report: nil,
                                                     at: wall))

    func broken(_ steps: [FuzzStep]) -> [Invariant] {
        InterviewInvariants.violations(in: steps).map(\.invariant)
    }

    @Test func aCleanRunBreaksNothing() {
        #expect(broken([step(0, [started], given: 1_000), step(1, usage: 1_000), step(2, [ended], input: .close)]).isEmpty)
    }

    @Test func eachBrokenPromiseIsReported() {
        #expect(broken([step(0, [started], given: 1_000), step(1, usage: 1_001), step(2, [ended], input: .close)]) == [.usageWithinBalance])
        #expect(broken([step(0, [started]), step(1, input: .close)]) == [.oneEndPerSession])
        #expect(broken([step(0, [started]), step(1, [ended, ended], input: .close)]) == [.quietAfterEnd, .oneEndPerSession])
        #expect(broken([step(0, [started], given: 10), step(1, [ended], input: .close), step(2, [.settleUsage(sessionID: "S", ms: 5)])])
            == [.quietAfterEnd])
        #expect(broken([step(0, [.send(.billingWarning(remainingMs: -1))])]) == [.balanceNeverNegative])
        let error = InterviewAction.send(.error(ProtocolError(.wrongState, "no", requestID: "a")))
        #expect(broken([step(0, [error], replyTo: .request("b"))]) == [.errorsEchoRequestID])
        #expect(broken([step(0, [error])]) == [.errorsEchoRequestID])
        #expect(broken([step(0, Array(repeating: error, count: 33), replyTo: .request("a"))]).contains(.boundedOutput))
    }

    func wording(_ requestID: Int) -> InterviewAction {
        .requestFollowUpWording(FollowUpWordingRequest(requestID: requestID, sessionID: "S", template: TemplateRef(id: "t", version: "v1"),
                                                       templateText: "Why?", prompt: ModelPrompt(system: nil, user: "Ask."),
                                                       conversation: [], earlierQuestions: [], language: "en", maxWords: 45))
    }

    func modelQuestion() -> InterviewAction {
        .send(.question(QuestionAsked(questionID: "q2", number: 2, kind: .followUp, text: "Worded?", template: TemplateRef(id: "t", version: "v1"),
                                      mainNumber: 1, targetSeconds: 45, source: .model, modelName: "fuzz-llm")))
    }

    @Test func eachBrokenModelPromiseIsReported() {
        let open = step(0, [started])
        let close = step(9, [ended], input: .close)
        // A request left running, a cancel of nothing, two wordings out at once.
        #expect(broken([open, step(1, [wording(1)]), close]) == [.modelRequestsEnd])
        #expect(broken([open, step(1, [.cancelModelRequest(requestID: 4)]), close]) == [.modelRequestsEnd])
        #expect(broken([open, step(1, [wording(1)]), step(2, [wording(2)]),
                        step(3, [.cancelModelRequest(requestID: 1), .cancelModelRequest(requestID: 2)]), close]) == [.modelRequestsEnd])
        // A model-worded question only in the step its wording came.
        #expect(broken([open, step(1, [wording(1)]), step(2, [.cancelModelRequest(requestID: 1), modelQuestion()]), close])
            == [.modelRequestsEnd])
        #expect(broken([open, step(1, [wording(1)]), step(2, [modelQuestion()], input: .modelWording("Worded?"), modelAnswered: 1), close])
            .isEmpty)
        #expect(broken([open, step(1, [wording(1)]), step(2, [.cancelModelRequest(requestID: 1)]),
                        step(3, [modelQuestion()], input: .modelWording("Worded?"), modelAnswered: 1), close]) == [.modelRequestsEnd])
        // The written report only after a session.ended that promised it.
        // (The close after the end breaks the end's promises too.)
        #expect(Set(broken([open, close, step(10, [.send(.reportWritten(nil)), .close(code: 1000, reason: "client_ended")])]))
            == [.modelRequestsEnd, .quietAfterEnd, .oneEndPerSession])
    }
}

/// `JESTRY_FUZZ_SEED` replays one seed printed by a failure; `JESTRY_FUZZ_ITERATIONS` runs longer.
struct FuzzReplay: TestTrait, TestScoping {
    /// A few seconds for every invariant together in CI.
    static let iterations = ProcessInfo.processInfo.environment["JESTRY_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 40

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard let text = ProcessInfo.processInfo.environment["JESTRY_FUZZ_SEED"] else {
            return try await function()
        }
        // The printed hint reads ("seed"); take it with or without the brackets and quotes.
        let seed = text.trimmingCharacters(in: CharacterSet(charactersIn: "()\" "))
        guard let state = Xoshiro(seed: seed)?.currentState else {
            Issue.record("JESTRY_FUZZ_SEED=\(text) is not a seed printed by a failure.")
            return
        }
        await FixedSeedTrait.fixedSeed(state.0, state.1, state.2, state.3).provideScope(for: test, testCase: testCase,
                                                                                      performing: function)
    }
}
