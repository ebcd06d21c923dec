import Yams

/// Reads a `.track.yaml` file.
enum TrackParser {
    static let fields: Set<String> = ["id", "title", "description", "questions", "order", "questions_per_session",
                                      "max_follow_ups", "target_answer_seconds", "silence_seconds", "rubric",
                                      "answer_time_limit_seconds", "content_follow_up"]

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
        let orderText = try reader.string("order", required: false) ?? Track.Order.inOrder.rawValue
        guard let order = Track.Order(rawValue: orderText) else {
            throw reader.error(at: reader.node("order")!, "\"order\" must be \"in-order\" or \"shuffled\"")
        }
        let perSession = try reader.int("questions_per_session", default: questions.count, range: 1...questions.count)
        let target = try reader.int("target_answer_seconds", default: 120, range: 10...900)
        let limit = try reader.int("answer_time_limit_seconds", default: target * 2, range: target...1_800)
        var track = Track(id: id,
                     title: try reader.string("title")!,
                     description: (try reader.string("description", required: false) ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
                     questionIDs: questions.map(\.0),
                     order: order,
                     questionsPerSession: perSession,
                     maxFollowUps: try reader.int("max_follow_ups", default: 2, range: 0...5),
                     targetAnswerSeconds: target,
                     silenceSeconds: try reader.double("silence_seconds", default: 2.5, range: 0.5...30),
                     answerTimeLimitSeconds: limit,
                     rubric: try reader.string("rubric", required: false),
                     file: path,
                     questionLines: questions.map { reader.position(of: $0.1).line },
                     questionColumns: questions.map { reader.position(of: $0.1).column },
                     rubricLine: reader.node("rubric").map { reader.position(of: $0).line },
                     idLine: reader.position(of: reader.node("id")!).line,
                     idColumn: reader.position(of: reader.node("id")!).column)
        track.contentFollowUp = try reader.string("content_follow_up", required: false)
        if let node = reader.node("content_follow_up") {
            (track.contentFollowUpLine, track.contentFollowUpColumn) = reader.position(of: node)
        }
        return track
    }
}
