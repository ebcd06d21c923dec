import Foundation
import Testing

/// axe-core, run in the page: the accessibility rules (WCAG 2 A and AA and best practices) checked on a screen as it
/// is at that moment.
///
/// `axe.min.js` is not in the repository: `make test` fetches it from PyPI's axe-playwright-python wheel into
/// `${JESTRY_CACHE:-~/.cache/jestry}/axe-<version>/` and passes its path in `JESTRY_AXE`.
enum AxeCore {
    static let version = "4.12.1"

    static let source: Result<String, BrowserTestFailure> = {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["JESTRY_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/jestry").path
        let path = environment["JESTRY_AXE"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(cache)/axe-\(version)/axe.min.js"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains("axe v\(version)") else {
            return .failure(BrowserTestFailure("axe-core \(version) is not at \(path): `make test` fetches it (or set JESTRY_AXE to an axe.min.js)"))
        }
        return .success(text)
    }()

    /// Runs axe on the whole document and returns the serious and critical violations, one line each.
    static let runScript = """
        const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ['violations'] }).then((results) => done(results.violations
          .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
          .map((violation) => `${violation.impact} ${violation.id} (${violation.help}): `
            + violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(' | '))),
          (error) => done([`axe failed: ${error}`]));
        """
}

extension BrowserHarness {
    /// Fails on every serious or critical axe-core violation on the screen as it is now.
    func expectAccessible(_ screen: String) async throws {
        let loaded = try await browser.execute("return typeof window.axe === 'object'") as? Bool == true
        if !loaded {
            try await browser.execute("""
                const script = document.createElement('script');
                script.textContent = arguments[0];
                document.head.append(script);
                """, [try AxeCore.source.get()])
        }
        let violations = try await browser.executeAsync(AxeCore.runScript) as? [String] ?? ["axe did not answer"]
        #expect(violations.isEmpty, "\(screen): \(violations.joined(separator: "\n"))")
    }
}
