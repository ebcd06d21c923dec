import Foundation
import Interview
import Mustache
import Security
import Yams

/// Everything under Prompts/: tracks and templates, validated together.
///
/// Loading never half-succeeds: either every file is valid and cross-references hold, or the result lists every
/// problem with its `file:line:col`.
public struct PromptLibrary: Sendable {
    public private(set) var tracks: [String: Track] = [:]
    public private(set) var templates: [String: PromptTemplate] = [:]
    /// A short hash over every file, to tell one loaded version of the library from another.
    public private(set) var version = ""

    /// Tracks in a stable order for listing.
    public var sortedTracks: [Track] { tracks.values.sorted { $0.id < $1.id } }

    public static func load(directory: URL) -> Result<PromptLibrary, PromptLoadFailure> {
        var library = PromptLibrary()
        var diagnostics: [PromptDiagnostic] = []
        let files = promptFiles(in: directory)
        if files.isEmpty {
            diagnostics.append(PromptDiagnostic(file: directory.path, line: 1, column: 1,
                                                "no .prompt or .track.yaml files found in this folder"))
        }
        var contentHashes: [String] = []
        // When a track file is broken, templates naming that track would all get a misleading second error.
        var someTrackUnreadable = false
        for file in files {
            let display = displayPath(file, base: directory)
            guard let text = try? String(contentsOf: file, encoding: .utf8) else {
                diagnostics.append(PromptDiagnostic(file: display, line: 1, column: 1, "cannot read the file as UTF-8 text"))
                continue
            }
            contentHashes.append(display + ":" + Self.contentHash(text))
            do throws(PromptDiagnostic) {
                if file.lastPathComponent.hasSuffix(".track.yaml") {
                    let track: Track
                    do throws(PromptDiagnostic) {
                        track = try TrackParser.parse(text, path: display)
                    } catch {
                        someTrackUnreadable = true
                        throw error
                    }
                    if let existing = library.tracks[track.id] {
                        diagnostics.append(PromptDiagnostic(file: display, line: track.idLine, column: track.idColumn,
                                                            "track id \"\(track.id)\" is already used by \(existing.file)"))
                    } else {
                        library.tracks[track.id] = track
                    }
                } else {
                    let (template, problems) = try TemplateParser.parse(text, path: display)
                    diagnostics += problems
                    if let existing = library.templates[template.id] {
                        diagnostics.append(PromptDiagnostic(file: display, line: template.idPosition.line,
                                                            column: template.idPosition.column,
                                                            "template id \"\(template.id)\" is already used by \(existing.file)"))
                    } else {
                        library.templates[template.id] = template
                    }
                }
            } catch {
                diagnostics.append(error)
            }
        }
        diagnostics += library.crossReferenceProblems(checkTrackNames: !someTrackUnreadable)
        guard diagnostics.isEmpty else { return .failure(PromptLoadFailure(diagnostics: diagnostics)) }
        library.attachPartials()
        library.version = contentHash(contentHashes.sorted().joined(separator: "\n"))
        return .success(library)
    }

    /// Gives every template the library's partials, so `{{> name}}` renders.
    private mutating func attachPartials() {
        var partials = MustacheLibrary()
        for template in templates.values where template.kind == .partial {
            partials.register(template.mustache, named: template.id)
        }
        for id in templates.keys { templates[id]?.partials = partials }
    }

    /// Templates of one kind, sorted by id.
    public func templates(of kind: PromptTemplate.Kind) -> [PromptTemplate] {
        templates.values.filter { $0.kind == kind }.sorted { $0.id < $1.id }
    }

    /// The first 12 hex digits of the SHA-256 of a text.
    static func contentHash(_ text: String) -> String {
        String(Digest.sha256(Data(text.utf8)).hexString.prefix(12))
    }

    static func promptFiles(in directory: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return []
        }
        return walker.compactMap { $0 as? URL }
            .filter { $0.pathExtension == "prompt" || $0.lastPathComponent.hasSuffix(".track.yaml") }
            .sorted { $0.path < $1.path }
    }

    static func displayPath(_ file: URL, base: URL) -> String {
        let basePath = base.standardizedFileURL.path
        let path = file.standardizedFileURL.path
        guard path.hasPrefix(basePath + "/") else { return path }
        return base.lastPathComponent + "/" + path.dropFirst(basePath.count + 1)
    }

    /// Problems that span files: tracks naming missing questions or rubrics, templates naming missing tracks or
    /// partials, partials using inputs their includer does not declare, follow-ups that can never fire.
    func crossReferenceProblems(checkTrackNames: Bool = true) -> [PromptDiagnostic] {
        var problems: [PromptDiagnostic] = []
        for track in sortedTracks {
            for (index, id) in track.questionIDs.enumerated() {
                guard let template = templates[id] else {
                    problems.append(PromptDiagnostic(file: track.file, line: track.questionLines[index], column: track.questionColumns[index],
                                                     "question \(index + 1) names \"\(id)\", but no .prompt file has that id"))
                    continue
                }
                if template.kind != .question {
                    problems.append(PromptDiagnostic(file: track.file, line: track.questionLines[index], column: track.questionColumns[index],
                                                     "\"\(id)\" is a \(template.kind.rawValue) template, not a question"))
                } else if let owner = template.track, owner != track.id {
                    problems.append(PromptDiagnostic(file: track.file, line: track.questionLines[index], column: track.questionColumns[index],
                                                     "\"\(id)\" belongs to track \"\(owner)\""))
                }
            }
            if let content = track.contentFollowUp, templates[content]?.kind != .contentFollowUp {
                let found = templates[content].map { "\"\(content)\" is a \($0.kind.rawValue) template, not a content-follow-up" }
                problems.append(PromptDiagnostic(file: track.file, line: track.contentFollowUpLine, column: track.contentFollowUpColumn,
                                                 found ?? "\"content_follow_up: \(content)\" names no template; it needs a .prompt file with kind: content-follow-up and id: \(content)"))
            } else if let content = track.contentFollowUp, let owner = templates[content]?.track, owner != track.id {
                problems.append(PromptDiagnostic(file: track.file, line: track.contentFollowUpLine, column: track.contentFollowUpColumn,
                                                 "\"\(content)\" belongs to track \"\(owner)\""))
            }
            if let rubric = track.rubric, templates[rubric]?.kind != .rubric {
                problems.append(PromptDiagnostic(file: track.file, line: track.rubricLine ?? 1, column: 1,
                                                 "\"rubric: \(rubric)\" names no rubric template"))
            }
        }
        for template in templates.values.sorted(by: { $0.file < $1.file }) {
            if checkTrackNames, let track = template.track, tracks[track] == nil {
                let position = template.trackPosition ?? template.idPosition
                problems.append(PromptDiagnostic(file: template.file, line: position.line, column: position.column,
                                                 "\"track: \(track)\" names a track that does not exist (tracks: \(tracks.keys.sorted().joined(separator: ", ")))"))
            }
            problems += partialProblems(template)
            if template.kind == .followUp { problems += reachabilityProblems(template) }
        }
        return problems
    }

    private func partialProblems(_ template: PromptTemplate) -> [PromptDiagnostic] {
        var problems: [PromptDiagnostic] = []
        let declared = Set(template.inputs.map(\.name))
        for use in template.partialUses {
            guard let partial = templates[use.name], partial.kind == .partial else {
                problems.append(PromptDiagnostic(file: template.file, line: use.line, column: use.column,
                                                 "the partial \"\(use.name)\" does not exist (a .prompt file with kind: partial and id: \(use.name))"))
                continue
            }
            guard template.kind != .partial else { continue }
            let undeclared = Set(TemplateBodyChecker.tags(in: partial.body, firstLine: 1).variables.map(\.name)).subtracting(declared)
            for name in undeclared.sorted() {
                problems.append(PromptDiagnostic(file: template.file, line: use.line, column: use.column,
                                                 "the partial \"\(use.name)\" uses \"\(name)\", which this template does not declare under \"inputs\""))
            }
        }
        return problems
    }

    /// A follow-up can never fire when no track it serves allows follow-ups, or none has a question on its topics.
    private func reachabilityProblems(_ template: PromptTemplate) -> [PromptDiagnostic] {
        let served = sortedTracks.filter { template.track == nil || template.track == $0.id }
        guard !served.isEmpty else { return [] }
        if served.allSatisfy({ $0.maxFollowUps == 0 }) {
            let position = template.trackPosition ?? template.idPosition
            return [PromptDiagnostic(file: template.file, line: position.line, column: position.column,
                                     "this follow-up can never fire: every track it serves has max_follow_ups: 0")]
        }
        let topics = Set(served.flatMap { $0.questionIDs.compactMap { templates[$0]?.topic ?? templates[$0].map(\.id) } })
        // Every listed topic must exist: a typo in one entry would silently narrow the template.
        return template.topics.enumerated().compactMap { index, topic in
            guard !topics.contains(topic) else { return nil }
            let position = template.topicPositions[index]
            return PromptDiagnostic(file: template.file, line: position.line, column: position.column,
                                    "no question this follow-up serves has the topic \"\(topic)\" (topics: \(topics.sorted().joined(separator: ", ")))")
        }
    }

    /// The plan the interviewer follows for a track, or nil when there is no such track.
    /// `seed` draws the question order of shuffled tracks; the server derives it from the session id.
    public func plan(forTrack id: String, seed: UInt64 = 0) -> TrackPlan? {
        tracks[id].map { TrackPlan(track: $0, library: self, seed: seed) }
    }

    /// A plan holding every question of the track in file order, for previews and example tests.
    func fullPlan(forTrack id: String) -> TrackPlan? {
        tracks[id].map { TrackPlan(track: $0, library: self, seed: 0, everyQuestion: true) }
    }
}
