import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Server
import Testing

/// One test's world: a real engine, a chromedriver, and a headless Chromium whose microphone plays a spoken WAV.
///
/// Every wait is bounded polling for something to appear on the page, never a fixed sleep before an assertion.
final class BrowserHarness {
    let engine: BrowserEngine
    let browser: BrowserSession

    private init(engine: BrowserEngine, browser: BrowserSession) {
        self.engine = engine
        self.browser = browser
    }

    /// Console errors the test expects, each a fragment of the message; any other console error fails the test.
    /// A signed-out visit asking who is signed in (401) is expected on every page that starts signed out.
    private(set) var expectedConsoleErrors = ["/v1/me - Failed to load resource: the server responded with a status of 401"]

    /// Runs `body` with a fresh engine and browser, and cleans both up whatever happens. `resumeGraceSeconds` nil
    /// runs the engine with its production grace period for dropped connections.
    static func run(trialMinutes: Double = 10, resumeGraceSeconds: Double? = nil, width: Int = 1280, height: Int = 1000,
                    phone: Bool = false, speechToTextURL: URL? = nil, model: ModelProviderConfiguration? = nil,
                    _ body: (BrowserHarness) async throws -> Void) async throws {
        let engine = try BrowserEngine(trialMinutes: trialMinutes, resumeGraceSeconds: resumeGraceSeconds,
                                       speechToTextURL: speechToTextURL, model: model)
        defer { engine.stop() }
        let chromedriver = try await ChromeDriver()
        defer { chromedriver.stop() }
        let audio = try speechWAV.get()
        // A phone: 375 CSS pixels wide at twice the density, with a touch screen.
        let mobile: [String: Any]? = phone ? ["deviceMetrics": ["width": 375, "height": 812, "pixelRatio": 2.0, "touch": true]] : nil
        let browser = try await chromedriver.driver.newSession(
            chromeArguments: ChromeDriver.chromeArguments(audioFile: audio, width: width, height: height),
            mobileEmulation: mobile)
        let harness = BrowserHarness(engine: engine, browser: browser)
        do {
            try await body(harness)
            try await harness.expectNoScriptErrors()
        } catch {
            let page = (try? await harness.browser.execute("return document.body ? document.body.innerText.slice(0, 3000) : ''") as? String) ?? ""
            // The console says what the page saw (a connection's close code, a resume's refusal) when a flaky
            // failure cannot be run again.
            let console = ((try? await browser.consoleLog()) ?? []).suffix(40)
                .map { "\($0["level"] as? String ?? "") \($0["message"] as? String ?? "")" }.joined(separator: "\n")
            await browser.quit()
            let log = engine.log.last(40).joined(separator: "\n")
            throw BrowserTestFailure("\(error)\n--- the page at that moment ---\n\(page)\n--- the console ---\n\(console)"
                                     + "\n--- the engine's log ---\n\(log)")
        }
        await browser.quit()
    }

    // MARK: The spoken answer the fake microphone plays

    static let spokenAnswer = "Um, when I was at my last job, our team had to ship a billing service in six weeks. "
        + "I was responsible for the data model, so I designed the schema and tested it with real data. "
        + "As a result, the monthly report went from nine minutes to five."

    /// A WAV of `spokenAnswer` made with espeak-ng, once per test run (and kept in the temporary folder for the next).
    static let speechWAV: Result<URL, BrowserTestFailure> = {
        let folder = FileManager.default.temporaryDirectory
        let url = folder.appendingPathComponent("jestry-browser-speech-\(spokenAnswer.utf8.count)-v1.wav")
        if let size = try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int, size > 10_000 {
            return .success(url)
        }
        // Written beside and renamed into place, so a concurrent run never reads a half-written file.
        let partial = folder.appendingPathComponent("jestry-browser-speech-\(ProcessInfo.processInfo.processIdentifier).partial.wav")
        let espeak = Process()
        espeak.executableURL = URL(fileURLWithPath: "/usr/bin/espeak-ng")
        espeak.arguments = ["-w", partial.path, spokenAnswer]
        espeak.standardOutput = FileHandle.nullDevice
        espeak.standardError = FileHandle.nullDevice
        do {
            try espeak.run()
            espeak.waitUntilExit()
        } catch {
            return .failure(BrowserTestFailure("espeak-ng could not run (\(error)); `make test` installs it"))
        }
        guard espeak.terminationStatus == 0, let size = try? FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int, size > 10_000,
              rename(partial.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: partial)
            return .failure(BrowserTestFailure("espeak-ng did not write a speech WAV to \(partial.path)"))
        }
        return .success(url)
    }()

    // MARK: Page helpers

    /// The engine's page with a route such as "#/signup" ("" for the page itself).
    func url(_ route: String) -> URL {
        URL(string: engine.baseURL.absoluteString + route)!
    }

    /// Loads the app at `route` (e.g. "#/signup") and waits until it has rendered a view.
    func open(_ route: String = "") async throws {
        try await browser.navigate(to: url(route))
        try await waitUntil("the app to start", "return document.documentElement.dataset.ready === 'true' && document.querySelector('main h1') !== null")
    }

    /// Polls `script` (a function body) until it returns something other than null/undefined/false/""; returns it.
    @discardableResult
    func waitUntil(_ what: String, timeout: TimeInterval = 15, _ script: String, _ arguments: [Any] = []) async throws -> Any {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: Error?
        repeat {
            do {
                let value = try await browser.execute(script, arguments)
                if let value, !(value is NSNull), (value as? Bool) != false, (value as? String) != "" {
                    return value
                }
            } catch {
                lastError = error
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        } while Date() < deadline
        throw BrowserTestFailure("waited \(Int(timeout)) s for \(what), in vain\(lastError.map { " (last error: \($0))" } ?? "")")
    }

    static let visibleScript = """
        const element = document.querySelector(arguments[0]);
        if (!element || element.closest('[hidden]') || element.getClientRects().length === 0) return null;
        const style = getComputedStyle(element);
        return style.visibility !== 'hidden' && style.display !== 'none';
        """

    func waitForElement(_ selector: String, timeout: TimeInterval = 15) async throws {
        try await waitUntil("\(selector) to be visible", timeout: timeout, Self.visibleScript, [selector])
    }

    /// Clicks like a person: waits until the element is visible and enabled, scrolls it into view, clicks.
    func click(_ selector: String) async throws {
        try await waitUntil("\(selector) to be clickable", Self.visibleScript + "\nreturn !element.disabled;", [selector])
        try await browser.execute("document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", [selector])
        try await browser.click(element: try await browser.element(selector))
    }

    /// Types into a field (after clearing it when `replacing`).
    func type(_ selector: String, _ text: String, replacing: Bool = true) async throws {
        try await waitForElement(selector)
        let element = try await browser.element(selector)
        if replacing { try await browser.clear(element: element) }
        try await browser.sendKeys(element: element, text)
    }

    /// The element's visible text, trimmed ("" when it is missing).
    func text(_ selector: String) async throws -> String {
        let value = try await browser.execute("const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : ''", [selector])
        return value as? String ?? ""
    }

    func attribute(_ selector: String, _ name: String) async throws -> String? {
        try await browser.execute("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null", [selector, name]) as? String
    }

    /// Waits until the element's text contains `fragment`; returns the whole text.
    @discardableResult
    func waitForText(_ selector: String, containing fragment: String, timeout: TimeInterval = 15) async throws -> String {
        let value = try await waitUntil("“\(fragment)” in \(selector)", timeout: timeout, """
            const element = document.querySelector(arguments[0]);
            return element && element.innerText.includes(arguments[1]) ? element.innerText : null;
            """, [selector, fragment])
        return value as? String ?? ""
    }

    /// Polls the engine's API until `check` holds: the engine writes its records off the service thread.
    func waitForEngine(_ what: String, timeout: TimeInterval = 15, _ check: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if try check() { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        } while Date() < deadline
        throw BrowserTestFailure("waited \(Int(timeout)) s for the engine: \(what), in vain")
    }

    func currentRoute() async throws -> String {
        try await browser.execute("return location.hash") as? String ?? ""
    }

    // MARK: Common journeys

    /// Signs in through the sign-in form and waits for the practice page.
    func signInThroughTheForm(email: String, password: String = BrowserEngine.password) async throws {
        try await open("#/signin")
        try await type("input[name=email]", email)
        try await type("input[name=password]", password)
        try await click("form button[type=submit]")
        try await waitForElement("[data-testid=start-interview]")
    }

    /// From the practice page: picks a mode and starts; waits for the first question.
    func startInterview(mode: String) async throws {
        try await click("input[name=mode][value=\(mode)] + label")
        try await click("[data-testid=start-interview]")
        try await waitUntil("the first question", "return document.querySelector('[data-testid=question-text]')?.innerText.trim().length > 0")
    }

    /// Confirms the open dialog.
    func confirmDialog() async throws {
        try await click("dialog[open] button[type=submit]")
    }

    /// Sends text through the answer box and waits until it shows in the transcript.
    func answerByTyping(_ text: String) async throws {
        try await type("[data-testid=answer-input]", text)
        try await click("[data-testid=send-answer]")
        try await waitForText("[data-testid=transcript] .turn--current .turn__text", containing: text)
    }

    // MARK: Checks

    /// Declares a console error this test provokes on purpose (a wrong password answered 401, say), by a fragment
    /// of its message.
    func expectConsoleError(_ fragment: String) {
        expectedConsoleErrors.append(fragment)
    }

    /// Fails on every error in the console, network errors included, except those the test declared.
    func expectNoScriptErrors() async throws {
        let entries = try await browser.consoleLog()
        let problems = entries.filter { $0["level"] as? String == "SEVERE" }.map { $0["message"] as? String ?? "" }
            .filter { message in !expectedConsoleErrors.contains { message.contains($0) } }
        #expect(problems.isEmpty, "errors in the console: \(problems)")
    }

    /// Saves a PNG of the viewport to $JESTRY_SCREENSHOTS/NAME.png when that variable is set.
    func screenshot(_ name: String) async throws {
        guard let folder = ProcessInfo.processInfo.environment["JESTRY_SCREENSHOTS"], !folder.isEmpty else { return }
        let directory = folder.hasPrefix("/") ? URL(fileURLWithPath: folder) : BrowserEngine.repository.appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Let the caret and transitions settle so the picture is calm; this only affects the picture.
        try await browser.execute("document.activeElement && document.activeElement.blur && document.activeElement.blur(); window.scrollTo(0, 0);")
        try await Task.sleep(nanoseconds: 300_000_000)
        try await browser.screenshot().write(to: directory.appendingPathComponent("\(name).png"))
    }
}

extension BrowserHarness {
    /// From now on the page keeps every event the engine sends it, in `window.engineEvents`, for checks against what
    /// the page shows.
    func recordEngineEvents() async throws {
        try await browser.execute("""
            window.engineEvents = [];
            window.jestry.view.socket.addEventListener('server', (event) => window.engineEvents.push(event.detail));
            """)
    }

    /// The coaching tip on the page is the one in the engine's latest feedback.live, word for word, and there is no tip
    /// when the engine sends none. Waits (bounded) for the engine's first feedback, or for its first tip.
    func expectTheEnginesTip(waitingForATip: Bool = false) async throws {
        let seen = try await waitUntil(waitingForATip ? "a tip from the engine" : "the engine's feedback", """
            const feedback = window.engineEvents.filter((event) => event.type === 'feedback.live').pop();
            if (!feedback || (arguments[0] && !feedback.tip)) return null;
            const box = document.querySelector('[data-testid=tip]').closest('.tip');
            return [feedback.tip ? feedback.tip.text : '', box.hidden ? '' : box.querySelector('[data-testid=tip]').innerText.trim()];
            """, [waitingForATip]) as? [String]
        #expect(seen?.count == 2 && seen?.first == seen?.last, "the engine's tip and the page's: \(seen ?? [])")
    }
}
