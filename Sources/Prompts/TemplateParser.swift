import Mustache
import Yams

/// Reads a `.prompt` file.
enum TemplateParser {
    static let fields: Set<String> = ["id", "kind", "track", "topic", "topics", "description", "when", "priority",
                                      "inputs", "model", "weights", "strengths", "improvements"]

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
        let conditions = kind == .coachingTip ? [] : try parseConditions(reader, kind: kind)
        let coachingConditions = kind == .coachingTip ? try parseCoachingConditions(reader) : []
        let rubric = try RubricParser.parse(reader, kind: kind, id: id, version: PromptLibrary.contentHash(text))
        let topics = try reader.strings("topics")
        if !topics.isEmpty, kind != .followUp {
            throw reader.error(at: reader.node("topics")!, "only follow-ups have \"topics\"; a question has one \"topic\"")
        }
        if let node = reader.node("topic"), kind != .question {
            throw reader.error(at: node, "only questions have a \"topic\"; follow-ups list the topics they serve under \"topics\"")
        }
        let inputs = try parseInputs(reader, kind: kind)
        guard !file.body.isEmpty else {
            throw PromptDiagnostic(file: path, line: file.bodyLine, column: 1, "the template has no text after its header")
        }
        var problems: [PromptDiagnostic] = []
        let declared = Set(inputs.map(\.name))
        let mustache = try TemplateBodyChecker.compile(file.body, file: path, firstLine: file.bodyLine)
        var tags = TemplateBodyChecker.tags(in: file.body, firstLine: file.bodyLine)
        let model = try parseModel(reader, file: file, tags: &tags)
        if kind == .contentFollowUp, model?.system == nil, model?.user == nil {
            let position = reader.position(of: reader.node("kind")!)
            throw PromptDiagnostic(file: path, line: position.line, column: position.column,
                                   "a content-follow-up needs \"model:\" instructions (system and/or user): only a model asks it")
        }
        if kind != .partial {
            for use in tags.variables where !declared.contains(use.name) {
                let offered = TemplateInputs.offered(to: kind)[use.name] != nil
                problems.append(PromptDiagnostic(file: path, line: use.line, column: use.column,
                                                 "\"\(use.name)\" is not a declared input" + (offered ? "; add it under \"inputs\"" : "")))
            }
        }
        let template = PromptTemplate(id: id, kind: kind, track: try reader.string("track", required: false),
                                      topic: try reader.string("topic", required: false), topics: topics.map(\.0),
                                      topicPositions: topics.map { reader.position(of: $0.1) },
                                      idPosition: reader.position(of: reader.node("id")!),
                                      trackPosition: reader.node("track").map { reader.position(of: $0) },
                                      description: try reader.string("description", required: false),
                                      conditions: conditions.map(\.0),
                                      priority: try reader.int("priority", default: 0, range: -1000...1000),
                                      inputs: inputs, body: file.body, model: model,
                                      partialUses: tags.partials,
                                      version: PromptLibrary.contentHash(text), file: path, mustache: mustache)
        var complete = template
        complete.coachingConditions = coachingConditions
        complete.rubric = rubric
        return (complete, problems + contradictions(conditions, reader: reader))
    }

    private static func parseCoachingConditions(_ reader: FieldReader) throws(PromptDiagnostic) -> [CoachingCondition] {
        var conditions: [CoachingCondition] = []
        for (name, node) in try reader.strings("when") {
            guard let condition = CoachingCondition(rawValue: name) else {
                throw reader.error(at: node, "unknown coaching condition \"\(name)\"; known: \(CoachingCondition.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            conditions.append(condition)
        }
        guard !conditions.isEmpty else {
            throw PromptDiagnostic(file: reader.path, line: 1, column: 1,
                                   "a coaching-tip needs a \"when\" list of conditions, e.g. when: [pace_fast]")
        }
        return conditions
    }

    private static func parseConditions(_ reader: FieldReader, kind: PromptTemplate.Kind) throws(PromptDiagnostic) -> [(FollowUpCondition, Node)] {
        var conditions: [(FollowUpCondition, Node)] = []
        for (name, node) in try reader.strings("when") {
            guard let condition = FollowUpCondition(rawValue: name) else {
                throw reader.error(at: node, "unknown condition \"\(name)\"; known conditions: \(FollowUpCondition.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            conditions.append((condition, node))
        }
        if kind == .followUp, conditions.isEmpty {
            throw PromptDiagnostic(file: reader.path, line: 1, column: 1,
                                   "a \(kind.rawValue) needs a \"when\" list of conditions, e.g. when: [no_numbers]")
        }
        if kind != .followUp, kind != .contentFollowUp, kind != .coachingTip, let node = reader.node("when") {
            throw reader.error(at: node, "only follow-ups, content follow-ups and coaching tips have conditions (\"when\")")
        }
        return conditions
    }

    /// Two conditions that exclude each other make a template that can never fire.
    private static func contradictions(_ conditions: [(FollowUpCondition, Node)], reader: FieldReader) -> [PromptDiagnostic] {
        let present = Dictionary(conditions.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
        return FollowUpCondition.contradictions.compactMap { first, second in
            guard present[first] != nil, let node = present[second] else { return nil }
            return reader.error(at: node, "\"\(first.rawValue)\" and \"\(second.rawValue)\" never hold together, so this template can never fire")
        }
    }

    /// `inputs:` maps a name to its settings: `{type: string, required: true}` or `{default: "…"}`.
    static func parseInputs(_ reader: FieldReader, kind: PromptTemplate.Kind) throws(PromptDiagnostic) -> [PromptTemplate.Input] {
        guard let node = reader.node("inputs") else { return [] }
        guard let mapping = node.mapping else {
            throw reader.error(at: node, "\"inputs\" must map each input name to its settings, e.g. topic: {required: true}")
        }
        let offers = TemplateInputs.offered(to: kind)
        var inputs: [PromptTemplate.Input] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { throw reader.error(at: key, "an input name must be text") }
            guard let offer = offers[name] else {
                let known = offers.keys.sorted().joined(separator: ", ")
                throw reader.error(at: key, "the engine offers no input \"\(name)\" to \(kind.rawValue) templates; inputs offered: \(known)")
            }
            let settings = value.mapping
            if settings == nil, !(value.scalar.map { $0.string.isEmpty || $0.string == "null" || $0.string == "~" } ?? false) {
                throw reader.error(at: value, "settings of input \"\(name)\" must be a mapping, e.g. {type: string, required: true}")
            }
            if let settings, let unknown = FieldReader(mapping: settings, path: reader.path, lineOffset: reader.lineOffset,
                                                       fallbackLine: reader.fallbackLine)
                .unknownKeys(allowed: ["type", "required", "default", "description"]).first {
                throw unknown
            }
            var type = offer.type
            if let typeNode = settings?[Node("type")] {
                guard let declared = typeNode.scalar.flatMap({ PromptTemplate.Input.ValueType(rawValue: $0.string) }) else {
                    throw reader.error(at: typeNode, "an input's type is \"string\" or \"number\"")
                }
                guard declared == offer.type else {
                    throw reader.error(at: typeNode, "\"\(name)\" is a \(offer.type.rawValue), not a \(declared.rawValue)")
                }
                type = declared
            }
            let required = settings?[Node("required")]?.bool ?? false
            let defaultValue = settings?[Node("default")]?.scalar?.string
            if required, let defaultNode = settings?[Node("default")] {
                throw reader.error(at: defaultNode, "a required input has no default; remove one of the two")
            }
            inputs.append(PromptTemplate.Input(name: name, type: type, required: required, defaultValue: defaultValue))
        }
        return inputs
    }

    /// `model: {system: …, user: …}`: instructions for a language model, checked like the body.
    private static func parseModel(_ reader: FieldReader, file: FrontMatterFile,
                                   tags: inout TemplateBodyChecker.Tags) throws(PromptDiagnostic) -> PromptTemplate.ModelInstructions? {
        guard let node = reader.node("model") else { return nil }
        guard let mapping = node.mapping else {
            throw reader.error(at: node, "\"model\" must have \"system\" and/or \"user\" text")
        }
        let modelReader = FieldReader(mapping: mapping, path: reader.path, lineOffset: reader.lineOffset, fallbackLine: reader.fallbackLine)
        if let unknown = modelReader.unknownKeys(allowed: ["system", "user"]).first { throw unknown }
        var parts: [String: (String, MustacheTemplate)] = [:]
        for key in ["system", "user"] {
            guard let part = modelReader.node(key) else { continue }
            guard let text = part.scalar?.string else { throw modelReader.error(at: part, "\"\(key)\" must be text") }
            let (line, column) = start(of: part, reader: modelReader, lines: file.lines)
            // A block scalar (| or >) loses the same indentation on every line; other scalars are one line.
            let indent = part.scalar?.style == .literal || part.scalar?.style == .folded ? column - 1 : 0
            let compiled = try TemplateBodyChecker.compile(text, file: reader.path, firstLine: line, firstColumn: column,
                                                           indent: indent)
            let found = TemplateBodyChecker.tags(in: text, firstLine: line, firstColumn: column, indent: indent)
            tags.variables += found.variables
            tags.partials += found.partials
            parts[key] = (text, compiled)
        }
        return PromptTemplate.ModelInstructions(system: parts["system"]?.0, user: parts["user"]?.0,
                                                systemTemplate: parts["system"]?.1, userTemplate: parts["user"]?.1)
    }

    /// Where a YAML text value's content starts in the file: block scalars (`|`, `>`) start on the next line.
    private static func start(of node: Node, reader: FieldReader, lines: [String]) -> (line: Int, column: Int) {
        let (line, column) = reader.position(of: node)
        let style = node.scalar?.style
        guard style == .literal || style == .folded, line < lines.count else { return (line, column) }
        let next = lines[line]  // 0-based index of the following line
        return (line + 1, (next.firstIndex { $0 != " " }.map { next.distance(from: next.startIndex, to: $0) } ?? 0) + 1)
    }

    /// Ids are lower-case words joined by dots and dashes, so they are safe in file names, logs and URLs.
    static func checkIdentifier(_ id: String, node: Node, reader: FieldReader) throws(PromptDiagnostic) {
        let allowed = id.allSatisfy { ($0.isLetter && $0.isLowercase) || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" }
        guard allowed, id.first?.isLetter == true else {
            throw reader.error(at: node, "id \"\(id)\" may use only lower-case letters, digits, \".\", \"-\" and \"_\", starting with a letter")
        }
    }
}
