import Foundation
import Yams

/// A `.prompt` file split into its YAML front matter (as a node tree with line and column marks) and its body.
struct FrontMatterFile {
    var path: String
    var header: Node.Mapping
    /// The template text after the closing `---`.
    var body: String
    /// The 1-based line the body starts on.
    var bodyLine: Int
    /// Every line of the file, for pointing into header values.
    var lines: [String]

    static func parse(_ text: String, path: String) throws(PromptDiagnostic) -> FrontMatterFile {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        guard lines.first == "---" else {
            throw PromptDiagnostic(file: path, line: 1, column: 1,
                                   "a .prompt file starts with a line \"---\", then its YAML header, then another \"---\" line")
        }
        guard let closing = lines.indices.dropFirst().first(where: { lines[$0] == "---" }) else {
            // A final newline leaves an empty last element: the file's last line is the one before it.
            let lastLine = lines.count > 1 && lines.last == "" ? lines.count - 1 : lines.count
            throw PromptDiagnostic(file: path, line: lastLine, column: 1,
                                   "the YAML header is never closed: add a line \"---\" after it")
        }
        let yaml = lines[1..<closing].joined(separator: "\n")
        let mapping = try YAMLDocument.mapping(of: yaml, path: path, lineOffset: 1)
        // Blank lines before the text are skipped but still counted, so positions in the body match the file.
        let bodyStart = lines.indices.dropFirst(closing + 1).first { !lines[$0].allSatisfy(\.isWhitespace) } ?? closing + 1
        var body = lines[bodyStart...].joined(separator: "\n")
        while body.last?.isWhitespace == true { body.removeLast() }
        return FrontMatterFile(path: path, header: mapping, body: body, bodyLine: bodyStart + 1, lines: lines)
    }
}

/// Helpers to read YAML with positions, so every error can name its line and column.
enum YAMLDocument {
    static func mapping(of yaml: String, path: String, lineOffset: Int = 0) throws(PromptDiagnostic) -> Node.Mapping {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw diagnostic(for: error, path: path, lineOffset: lineOffset)
        } catch {
            throw PromptDiagnostic(file: path, line: 1 + lineOffset, column: 1, "cannot read YAML: \(error)")
        }
        guard let mapping = node?.mapping else {
            throw PromptDiagnostic(file: path, line: 1 + lineOffset, column: 1, "the YAML must be a mapping of fields (key: value)")
        }
        return mapping
    }

    static func diagnostic(for error: YamlError, path: String, lineOffset: Int) -> PromptDiagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            return PromptDiagnostic(file: path, line: mark.line + lineOffset, column: mark.column, "YAML error: \(what)")
        case .composer(let context, let problem, let mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            return PromptDiagnostic(file: path, line: mark.line + lineOffset, column: mark.column, "YAML error: \(what)")
        default:
            return PromptDiagnostic(file: path, line: 1 + lineOffset, column: 1, "YAML error: \(error)")
        }
    }
}

/// Reads typed fields out of a YAML mapping, turning every mistake into a positioned diagnostic.
struct FieldReader {
    let mapping: Node.Mapping
    let path: String
    let lineOffset: Int
    /// Where to point when a required field is missing.
    let fallbackLine: Int

    func position(of node: Node) -> (line: Int, column: Int) {
        guard let mark = node.mark else { return (fallbackLine, 1) }
        return (mark.line + lineOffset, mark.column)
    }

    func error(at node: Node, _ message: String) -> PromptDiagnostic {
        let (line, column) = position(of: node)
        return PromptDiagnostic(file: path, line: line, column: column, message)
    }

    func node(_ key: String) -> Node? { mapping[Node(key)] }

    func string(_ key: String, required: Bool = true) throws(PromptDiagnostic) -> String? {
        guard let node = node(key) else {
            if required {
                throw PromptDiagnostic(file: path, line: fallbackLine, column: 1, "the required field \"\(key)\" is missing")
            }
            return nil
        }
        guard let value = node.scalar?.string, !value.isEmpty else {
            throw error(at: node, "\"\(key)\" must be a non-empty text value")
        }
        return value
    }

    func int(_ key: String, default value: Int, range: ClosedRange<Int>) throws(PromptDiagnostic) -> Int {
        guard let node = node(key) else { return value }
        guard let number = node.int, range.contains(number) else {
            throw error(at: node, "\"\(key)\" must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func double(_ key: String, default value: Double, range: ClosedRange<Double>) throws(PromptDiagnostic) -> Double {
        guard let node = node(key) else { return value }
        guard let number = node.float, range.contains(number) else {
            throw error(at: node, "\"\(key)\" must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A list of text values, with the node of each for positioned errors. A single value counts as a list of one.
    func strings(_ key: String) throws(PromptDiagnostic) -> [(String, Node)] {
        guard let node = node(key) else { return [] }
        if let scalar = node.scalar { return [(scalar.string, node)] }
        guard let sequence = node.sequence else {
            throw error(at: node, "\"\(key)\" must be a list, e.g. [a, b]")
        }
        var values: [(String, Node)] = []
        for item in sequence {
            guard let text = item.scalar?.string, !text.isEmpty else {
                throw error(at: item, "each entry of \"\(key)\" must be a text value")
            }
            values.append((text, item))
        }
        return values
    }

    /// Fields present that the format does not know: usually a typo, so say which.
    func unknownKeys(allowed: Set<String>) -> [PromptDiagnostic] {
        mapping.keys.compactMap { key in
            guard let name = key.scalar?.string, !allowed.contains(name) else { return nil }
            return error(at: key, "unknown field \"\(name)\"; known fields: \(allowed.sorted().joined(separator: ", "))")
        }
    }
}
