import Testing
import Prompts

/// Each template carries a hash of its file, logged with every question it produced.
@Suite struct TemplateVersionTests {
    static func isShortHex(_ text: String) -> Bool {
        text.count == 12 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    @Test func versionIsTwelveHexDigits() throws {
        let library = try validLibrary(BaseLibrary.files)
        let template = try #require(library.templates["interview.first"])
        #expect(Self.isShortHex(template.version), "\(template.version)")
        #expect(template.ref.version == template.version)
        #expect(Self.isShortHex(library.version))
    }

    @Test func versionChangesWithTheFileAndOnlyThatFile() throws {
        let before = try validLibrary(BaseLibrary.files)
        let after = try validLibrary(BaseLibrary.with([
            BaseLibrary.questionFile: question(id: "interview.first", topic: "teamwork",
                                               body: "Tell me about a time you worked in a team!"),
        ]))
        #expect(before.templates["interview.first"]?.version != after.templates["interview.first"]?.version)
        #expect(before.version != after.version)
        #expect(before.tracks == after.tracks, "the track file did not change")
    }

    @Test func versionIsStableForTheSameContent() throws {
        let first = try validLibrary(BaseLibrary.files)
        let second = try validLibrary(BaseLibrary.files)
        #expect(first.templates["interview.first"]?.version == second.templates["interview.first"]?.version)
        #expect(first.version == second.version)
    }

    @Test func headerChangesAlsoChangeTheVersion() throws {
        let before = try validLibrary(BaseLibrary.files)
        let after = try validLibrary(BaseLibrary.with([
            BaseLibrary.questionFile: question(id: "interview.first", topic: "collaboration"),
        ]))
        #expect(before.templates["interview.first"]?.version != after.templates["interview.first"]?.version)
    }
}
