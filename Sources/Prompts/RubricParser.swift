import Interview
import Yams

/// Reads a rubric's `weights`, `strengths` and `improvements` (one entry per criterion).
enum RubricParser {
    static func parse(_ reader: FieldReader, kind: PromptTemplate.Kind, id: String,
                      version: String) throws(PromptDiagnostic) -> Rubric? {
        let fields = ["weights", "strengths", "improvements"]
        guard kind == .rubric else {
            if let present = fields.compactMap({ reader.node($0) }).first {
                throw reader.error(at: present, "only rubric templates have weights, strengths and improvements")
            }
            return nil
        }
        var weights: [ScoreCriterion: Double] = [:]
        var strengths: [ScoreCriterion: String] = [:]
        var improvements: [ScoreCriterion: String] = [:]
        for field in fields {
            guard let node = reader.node(field) else {
                throw PromptDiagnostic(file: reader.path, line: 1, column: 1,
                                       "a rubric needs \"\(field)\" for each of: \(ScoreCriterion.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let mapping = node.mapping else {
                throw reader.error(at: node, "\"\(field)\" maps each criterion to a value, e.g. structure: …")
            }
            for (key, value) in mapping {
                guard let name = key.scalar?.string, let criterion = ScoreCriterion(rawValue: name) else {
                    throw reader.error(at: key, "unknown criterion; use: \(ScoreCriterion.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                if field == "weights" {
                    guard let weight = value.float, weight >= 0, weight <= 100 else {
                        throw reader.error(at: value, "a weight is a number from 0 to 100")
                    }
                    weights[criterion] = weight
                } else {
                    guard let text = value.scalar?.string, !text.isEmpty else {
                        throw reader.error(at: value, "each \(field) entry is a sentence for the candidate")
                    }
                    if field == "strengths" { strengths[criterion] = text } else { improvements[criterion] = text }
                }
            }
            let given = field == "weights" ? Set(weights.keys) : Set((field == "strengths" ? strengths : improvements).keys)
            if let missing = ScoreCriterion.allCases.first(where: { !given.contains($0) }) {
                throw reader.error(at: node, "\"\(field)\" has no entry for \(missing.rawValue)")
            }
        }
        guard weights.values.reduce(0, +) > 0 else {
            throw reader.error(at: reader.node("weights")!, "at least one weight must be above 0")
        }
        return Rubric(id: id, version: version, weights: weights, strengths: strengths, improvements: improvements)
    }
}
