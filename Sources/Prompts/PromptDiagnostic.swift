/// A problem in Prompts/, pointing at the exact place: `file:line:col: message`.
public struct PromptDiagnostic: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, _ message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// All problems found while loading, reported together so an author can fix them in one go.
public struct PromptLoadFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [PromptDiagnostic]
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
