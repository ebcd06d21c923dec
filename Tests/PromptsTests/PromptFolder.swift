import Foundation
import Testing
import Prompts

/// Writes `files` (relative path → content) under a fresh temporary `Prompts/` folder, loads it, and removes the
/// folder again. Loading reads every file eagerly, so the result stays usable after the clean-up.
func loadPrompts(_ files: [String: String]) throws -> Result<PromptLibrary, PromptLoadFailure> {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        .resolvingSymlinksInPath()
    defer { try? FileManager.default.removeItem(at: root) }
    let prompts = root.appendingPathComponent("Prompts")
    for (path, content) in files {
        let file = prompts.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: file)
    }
    return PromptLibrary.load(directory: prompts)
}

/// Loads a folder that must be valid.
func validLibrary(_ files: [String: String]) throws -> PromptLibrary {
    switch try loadPrompts(files) {
    case .success(let library): return library
    case .failure(let failure):
        Issue.record("expected the prompts to load, got:\n\(failure)")
        throw failure
    }
}

/// Loads a folder that must fail, returning its diagnostics.
func loadProblems(_ files: [String: String]) throws -> [PromptDiagnostic] {
    switch try loadPrompts(files) {
    case .success:
        Issue.record("expected the prompts to fail to load")
        return []
    case .failure(let failure):
        return failure.diagnostics
    }
}

/// A small valid library: one track with one question. Tests add files to it.
enum BaseLibrary {
    static let trackFile = "interview.track.yaml"
    static let questionFile = "questions/first.prompt"

    static let files: [String: String] = [
        trackFile: """
            id: interview
            title: Interview
            questions:
              - interview.first
            max_follow_ups: 2

            """,
        questionFile: question(id: "interview.first", topic: "teamwork"),
    ]

    /// The base library plus `extra` files (replacing any of the same path).
    static func with(_ extra: [String: String]) -> [String: String] {
        files.merging(extra) { _, new in new }
    }
}

func question(id: String, track: String? = "interview", topic: String? = nil,
              body: String = "Tell me about a time you worked in a team.") -> String {
    var header = ["id: \(id)", "kind: question"]
    if let track { header.append("track: \(track)") }
    if let topic { header.append("topic: \(topic)") }
    return "---\n" + header.joined(separator: "\n") + "\n---\n" + body + "\n"
}

func followUp(id: String, when conditions: [String], priority: Int = 0, track: String? = nil, topics: [String] = [],
              inputs: [String] = [], body: String? = nil) -> String {
    var header = ["id: \(id)", "kind: follow-up", "when: [\(conditions.joined(separator: ", "))]", "priority: \(priority)"]
    if let track { header.append("track: \(track)") }
    if !topics.isEmpty { header.append("topics: [\(topics.joined(separator: ", "))]") }
    if !inputs.isEmpty {
        header.append("inputs:")
        header += inputs.map { "  \($0): {required: true}" }
    }
    return "---\n" + header.joined(separator: "\n") + "\n---\n" + (body ?? "Follow-up \(id)?") + "\n"
}

func track(id: String, questions: [String], maxFollowUps: Int = 2) -> String {
    "id: \(id)\ntitle: Track \(id)\nquestions:\n" + questions.map { "  - \($0)\n" }.joined()
        + "max_follow_ups: \(maxFollowUps)\n"
}

extension PromptDiagnostic {
    /// `file:line:col`, the part of the description an editor jumps to.
    var location: String { "\(file):\(line):\(column)" }
}

/// The only diagnostic of a load, or a recorded issue listing all of them.
func onlyProblem(_ files: [String: String], sourceLocation: SourceLocation = #_sourceLocation) throws -> PromptDiagnostic {
    let problems = try loadProblems(files)
    #expect(problems.count == 1, "expected one problem, got: \(problems)", sourceLocation: sourceLocation)
    return try #require(problems.first, sourceLocation: sourceLocation)
}
