import Foundation
import Interview
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
        for file in files {
            let display = displayPath(file, base: directory)
            guard let text = try? String(contentsOf: file, encoding: .utf8) else {
                diagnostics.append(PromptDiagnostic(file: display, line: 1, column: 1, "cannot read the file as UTF-8 text"))
                continue
            }
            contentHashes.append(display + ":" + Self.contentHash(text))
            do {
                if file.lastPathComponent.hasSuffix(".track.yaml") {
                    let track = try TrackParser.parse(text, path: display)
                    if let existing = library.tracks[track.id] {
                        diagnostics.append(PromptDiagnostic(file: display, line: 1, column: 1,
                                                            "track id \"\(track.id)\" is already used by \(existing.file)"))
                    } else {
                        library.tracks[track.id] = track
                    }
                } else {
                    let (template, problems) = try TemplateParser.parse(text, path: display)
                    diagnostics += problems
                    if let existing = library.templates[template.id] {
                        diagnostics.append(PromptDiagnostic(file: display, line: 2, column: 1,
                                                            "template id \"\(template.id)\" is already used by \(existing.file)"))
                    } else {
                        library.templates[template.id] = template
                    }
                }
            } catch {
                diagnostics.append(error)
            }
        }
        diagnostics += library.crossReferenceProblems()
        guard diagnostics.isEmpty else { return .failure(PromptLoadFailure(diagnostics: diagnostics)) }
        library.version = contentHash(contentHashes.sorted().joined(separator: "\n"))
        return .success(library)
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

    /// Tracks naming questions that do not exist, or that are not questions; follow-ups for unknown tracks.
    func crossReferenceProblems() -> [PromptDiagnostic] {
        var problems: [PromptDiagnostic] = []
        for track in sortedTracks {
            for (index, id) in track.questionIDs.enumerated() {
                guard let template = templates[id] else {
                    problems.append(PromptDiagnostic(file: track.file, line: track.questionLines[index], column: 1,
                                                     "question \(index + 1) names \"\(id)\", but no .prompt file has that id"))
                    continue
                }
                if template.kind != .question {
                    problems.append(PromptDiagnostic(file: track.file, line: track.questionLines[index], column: 1,
                                                     "\"\(id)\" is a \(template.kind.rawValue) template, not a question"))
                }
            }
        }
        for template in templates.values.sorted(by: { $0.file < $1.file }) {
            if let track = template.track, tracks[track] == nil {
                problems.append(PromptDiagnostic(file: template.file, line: 2, column: 1,
                                                 "\"track: \(track)\" names a track that does not exist (tracks: \(tracks.keys.sorted().joined(separator: ", ")))"))
            }
        }
        return problems
    }

    /// The plan the interviewer follows for a track, or nil when there is no such track.
    public func plan(forTrack id: String) -> TrackPlan? {
        tracks[id].map { TrackPlan(track: $0, library: self) }
    }
}
