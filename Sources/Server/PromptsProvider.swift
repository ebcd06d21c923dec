import Foundation
import Prompts

/// The prompt library in service. Sessions take the library current at their start and keep it.
public final class PromptsProvider: @unchecked Sendable {
    private let lock = NSLock()
    private var library: PromptLibrary

    public init(_ library: PromptLibrary) {
        self.library = library
    }

    public var current: PromptLibrary { lock.withLock { library } }

    public func replace(with library: PromptLibrary) {
        lock.withLock { self.library = library }
    }
}
