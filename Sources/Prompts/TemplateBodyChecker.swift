import Mustache

/// Compiles template text with HTML escaping off, and finds the variables and partials it names.
enum TemplateBodyChecker {
    /// Prepended so `{{x}}` inserts text as is: prompts are plain text, never HTML.
    static let textPragma = "{{% CONTENT_TYPE: TEXT}}"

    /// A `{{…}}` tag that names a variable or a partial, with its position in the file (1-based).
    struct TagUse: Equatable {
        var name: String
        var line: Int
        var column: Int
    }

    struct Tags: Equatable {
        var variables: [TagUse] = []
        var partials: [TagUse] = []
    }

    /// `firstLine`/`firstColumn`: where the text starts in the file, for positions in errors.
    static func compile(_ text: String, file: String, firstLine: Int, firstColumn: Int = 1,
                        indent: Int = 0) throws(PromptDiagnostic) -> MustacheTemplate {
        do {
            return try MustacheTemplate(string: textPragma + text)
        } catch let error as MustacheTemplate.ParserError {
            let line = error.context.lineNumber
            let column = line == 1 ? max(1, error.context.columnNumber - textPragma.count) + firstColumn - 1
                                   : error.context.columnNumber + indent
            throw PromptDiagnostic(file: file, line: firstLine + line - 1, column: column,
                                   "template syntax error: \(explain(error.error))")
        } catch {
            throw PromptDiagnostic(file: file, line: firstLine, column: firstColumn, "template syntax error: \(error)")
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

    /// Every variable (sections included) and partial the text names, in order. Comments are skipped.
    /// `indent`: columns YAML stripped from every line after the first (a block scalar's indentation).
    static func tags(in text: String, firstLine: Int, firstColumn: Int = 1, indent: Int = 0) -> Tags {
        var tags = Tags()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, line) in lines.enumerated() {
            var rest = Substring(line)
            while let open = rest.range(of: "{{") {
                let column = line.distance(from: line.startIndex, to: open.lowerBound) + 1 + (offset == 0 ? firstColumn - 1 : indent)
                let afterOpen = rest[open.upperBound...]
                guard let close = afterOpen.range(of: "}}") else { break }
                var tag = afterOpen[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                rest = afterOpen[close.upperBound...]
                if rest.hasPrefix("}") { rest = rest.dropFirst() }  // {{{name}}}
                guard let sigil = tag.first else { continue }
                let named = { (text: String) in text.trimmingCharacters(in: .whitespaces) }
                let use = { (name: String) in TagUse(name: name, line: firstLine + offset, column: column) }
                switch sigil {
                case "!", "=", "%", "/", "$", "<":
                    continue  // comments, delimiters, pragmas, closing tags and blocks name no new value
                case ">":
                    tags.partials.append(use(named(String(tag.dropFirst()))))
                case "#", "^", "&", "{":
                    tag = named(String(tag.dropFirst()))
                    fallthrough
                default:
                    let name = tag.split(separator: ".").first.map(String.init) ?? tag
                    if !name.isEmpty { tags.variables.append(use(name)) }
                }
            }
        }
        return tags
    }
}
