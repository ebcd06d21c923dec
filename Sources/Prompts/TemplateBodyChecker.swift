import Mustache

/// Compiles a template body with HTML escaping off, and checks that it uses only declared inputs.
enum TemplateBodyChecker {
    /// Prepended so `{{x}}` inserts text as is: prompts are plain text, never HTML.
    static let textPragma = "{{% CONTENT_TYPE: TEXT}}"

    /// A `{{…}}` tag that names a variable, with its position in the body (1-based).
    struct VariableUse: Equatable {
        var name: String
        var line: Int
        var column: Int
    }

    static func compile(_ body: String, file: String, bodyLine: Int) throws(PromptDiagnostic) -> MustacheTemplate {
        do {
            return try MustacheTemplate(string: textPragma + body)
        } catch let error as MustacheTemplate.ParserError {
            let line = error.context.lineNumber
            let column = line == 1 ? max(1, error.context.columnNumber - textPragma.count) : error.context.columnNumber
            throw PromptDiagnostic(file: file, line: bodyLine + line - 1, column: column,
                                   "template syntax error: \(explain(error.error))")
        } catch {
            throw PromptDiagnostic(file: file, line: bodyLine, column: 1, "template syntax error: \(error)")
        }
    }

    static func explain(_ error: any Error) -> String {
        guard let error = error as? MustacheTemplate.Error else { return "\(error)" }
        return switch error {
        case .sectionCloseNameIncorrect: "a {{/section}} closes a different section than the one that is open"
        case .unfinishedName: "a {{tag}} is not closed with }}"
        case .expectedSectionEnd: "a {{#section}} is never closed with {{/section}}"
        default: "\(error)"
        }
    }

    /// Every variable a body names (sections included), in order of appearance. Partials and comments are skipped.
    static func variables(in body: String, bodyLine: Int) -> [VariableUse] {
        var uses: [VariableUse] = []
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, line) in lines.enumerated() {
            var rest = Substring(line)
            while let open = rest.range(of: "{{") {
                let column = line.distance(from: line.startIndex, to: open.lowerBound) + 1
                let afterOpen = rest[open.upperBound...]
                guard let close = afterOpen.range(of: "}}") else { break }
                var tag = afterOpen[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                rest = afterOpen[close.upperBound...]
                if rest.hasPrefix("}") { rest = rest.dropFirst() }  // {{{name}}}
                guard let sigil = tag.first else { continue }
                if "!>=%<$".contains(sigil) { continue }
                if "#^/&{".contains(sigil) { tag = String(tag.dropFirst()).trimmingCharacters(in: .whitespaces) }
                let name = tag.split(separator: ".").first.map(String.init) ?? tag
                guard !name.isEmpty else { continue }
                if sigil == "/" { continue }  // closing tags repeat a name already seen
                uses.append(VariableUse(name: name, line: bodyLine + offset, column: column))
            }
        }
        return uses
    }
}
