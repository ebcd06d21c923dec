import Yams

/// Reads a `.track.yaml` file.
enum TrackParser {
    static let fields: Set<String> = ["id", "title", "description", "questions", "max_follow_ups",
                                      "target_answer_seconds", "silence_seconds"]

    static func parse(_ text: String, path: String) throws(PromptDiagnostic) -> Track {
        let mapping = try YAMLDocument.mapping(of: text, path: path)
        let reader = FieldReader(mapping: mapping, path: path, lineOffset: 0, fallbackLine: 1)
        if let unknown = reader.unknownKeys(allowed: fields).first { throw unknown }
        let id = try reader.string("id")!
        try TemplateParser.checkIdentifier(id, node: reader.node("id")!, reader: reader)
        let questions = try reader.strings("questions")
        guard !questions.isEmpty else {
            throw PromptDiagnostic(file: path, line: 1, column: 1, "a track needs a \"questions\" list with at least one question id")
        }
        return Track(id: id,
                     title: try reader.string("title")!,
                     description: (try reader.string("description", required: false) ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
                     questionIDs: questions.map(\.0),
                     maxFollowUps: try reader.int("max_follow_ups", default: 2, range: 0...5),
                     targetAnswerSeconds: try reader.int("target_answer_seconds", default: 120, range: 10...900),
                     silenceSeconds: try reader.double("silence_seconds", default: 2.5, range: 0.5...30),
                     file: path,
                     questionLines: questions.map { reader.position(of: $0.1).line })
    }
}

/// Reads a `.prompt` file.
enum TemplateParser {
    static let fields: Set<String> = ["id", "kind", "track", "topic", "description", "when", "priority", "inputs"]

    /// Parses one template. Problems that do not stop parsing (an undeclared variable, say) come back beside it.
    static func parse(_ text: String, path: String) throws(PromptDiagnostic) -> (PromptTemplate, [PromptDiagnostic]) {
        let file = try FrontMatterFile.parse(text, path: path)
        let reader = FieldReader(mapping: file.header, path: path, lineOffset: 1, fallbackLine: 1)
        if let unknown = reader.unknownKeys(allowed: fields).first { throw unknown }
        let id = try reader.string("id")!
        try checkIdentifier(id, node: reader.node("id")!, reader: reader)
        let kindText = try reader.string("kind")!
        guard let kind = PromptTemplate.Kind(rawValue: kindText) else {
            throw reader.error(at: reader.node("kind")!,
                               "unknown kind \"\(kindText)\"; use one of: \(PromptTemplate.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var conditions: [FollowUpCondition] = []
        for (name, node) in try reader.strings("when") {
            guard let condition = FollowUpCondition(rawValue: name) else {
                throw reader.error(at: node, "unknown condition \"\(name)\"; known conditions: \(FollowUpCondition.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            conditions.append(condition)
        }
        if kind == .followUp, conditions.isEmpty {
            throw PromptDiagnostic(file: path, line: 1, column: 1,
                                   "a follow-up needs a \"when\" list of conditions, e.g. when: [no_numbers]")
        }
        if kind != .followUp, let node = reader.node("when") {
            throw reader.error(at: node, "only follow-up templates have conditions (\"when\")")
        }
        let inputs = try parseInputs(reader)
        if body(file.body).isEmpty {
            throw PromptDiagnostic(file: path, line: file.bodyLine, column: 1, "the template has no text after its header")
        }
        let mustache = try TemplateBodyChecker.compile(file.body, file: path, bodyLine: file.bodyLine)
        var problems: [PromptDiagnostic] = []
        let declared = Set(inputs.map(\.name))
        for use in TemplateBodyChecker.variables(in: file.body, bodyLine: file.bodyLine) where !declared.contains(use.name) {
            let hint = TemplateInputs.known[use.name] != nil ? "; add it under \"inputs\"" : ""
            problems.append(PromptDiagnostic(file: path, line: use.line, column: use.column,
                                             "\"\(use.name)\" is not a declared input\(hint)"))
        }
        let template = PromptTemplate(id: id, kind: kind, track: try reader.string("track", required: false),
                                      topic: try reader.string("topic", required: false),
                                      description: try reader.string("description", required: false),
                                      conditions: conditions,
                                      priority: try reader.int("priority", default: 0, range: -1000...1000),
                                      inputs: inputs, body: file.body, version: PromptLibrary.contentHash(text),
                                      file: path, mustache: mustache)
        return (template, problems)
    }

    private static func body(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// `inputs:` maps a name to `{required: true}` or `{default: "…"}`; only values the engine offers are allowed.
    static func parseInputs(_ reader: FieldReader) throws(PromptDiagnostic) -> [PromptTemplate.Input] {
        guard let node = reader.node("inputs") else { return [] }
        guard let mapping = node.mapping else {
            throw reader.error(at: node, "\"inputs\" must map each input name to its settings, e.g. topic: {required: true}")
        }
        var inputs: [PromptTemplate.Input] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { throw reader.error(at: key, "an input name must be text") }
            guard TemplateInputs.known[name] != nil else {
                let known = TemplateInputs.known.keys.sorted().joined(separator: ", ")
                throw reader.error(at: key, "the engine offers no input \"\(name)\"; inputs available: \(known)")
            }
            let settings = value.mapping
            if settings == nil, !(value.scalar?.string.isEmpty ?? false), value.scalar?.string != "null" {
                throw reader.error(at: value, "settings of input \"\(name)\" must be a mapping, e.g. {required: true}")
            }
            let required = settings?[Node("required")]?.bool ?? false
            let defaultValue = settings?[Node("default")]?.scalar?.string
            inputs.append(PromptTemplate.Input(name: name, required: required, defaultValue: defaultValue))
        }
        return inputs
    }

    /// Ids are lower-case words joined by dots and dashes, so they are safe in file names, logs and URLs.
    static func checkIdentifier(_ id: String, node: Node, reader: FieldReader) throws(PromptDiagnostic) {
        let allowed = id.allSatisfy { ($0.isLetter && $0.isLowercase) || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" }
        guard allowed, id.first?.isLetter == true else {
            throw reader.error(at: node, "id \"\(id)\" may use only lower-case letters, digits, \".\", \"-\" and \"_\", starting with a letter")
        }
    }
}
