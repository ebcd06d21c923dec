import Foundation
import Prompts

/// The prompt library in service, and what went wrong with the latest edit, if anything.
/// Sessions take the library current at their start and keep it to the end.
public final class PromptsProvider: @unchecked Sendable {
    public struct Status: Sendable {
        public var version: String
        public var loadedAt: Date
        public var trackCount: Int
        public var templateCount: Int
        /// Problems in the files on disk now; empty when the version in service is the latest edit.
        public var errors: [PromptDiagnostic]
    }

    private let lock = NSLock()
    private var library: PromptLibrary
    private var loadedAt: Date
    private var errors: [PromptDiagnostic] = []

    public init(_ library: PromptLibrary, loadedAt: Date = Date()) {
        self.library = library
        self.loadedAt = loadedAt
    }

    public var current: PromptLibrary { lock.withLock { library } }

    public var status: Status {
        lock.withLock {
            Status(version: library.version, loadedAt: loadedAt, trackCount: library.tracks.count,
                   templateCount: library.templates.count, errors: errors)
        }
    }

    /// Puts a newly loaded library in service.
    public func replace(with library: PromptLibrary, at date: Date = Date()) {
        lock.withLock {
            self.library = library
            loadedAt = date
            errors = []
        }
    }

    /// Records that the files on disk are broken; the last good library stays in service.
    public func rejectEdit(_ diagnostics: [PromptDiagnostic]) {
        lock.withLock { errors = diagnostics }
    }
}
