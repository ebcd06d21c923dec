import Foundation
import Testing

extension BrowserTests {
    @Suite struct ClientQuality {
        /// Renders a tone through mic-worklet.js in an OfflineAudioContext and collects the frames it posts.
        /// Offline rendering is deterministic: no microphone, no clock.
        static let renderToneScript = """
            const [inputRate, frequency, targetRate, done] = arguments;
            (async () => {
              const context = new OfflineAudioContext(1, inputRate, inputRate);
              await context.audioWorklet.addModule('/js/mic-worklet.js');
              const node = new AudioWorkletNode(context, 'jestry-mic-capture',
                { processorOptions: { targetRate, frameMs: 20, sending: true } });
              const frames = [];
              node.port.onmessage = (event) => { if (event.data.type === 'frame') frames.push(new Int16Array(event.data.buffer)); };
              const oscillator = context.createOscillator();
              oscillator.frequency.value = frequency;
              oscillator.connect(node);
              node.connect(context.destination);
              oscillator.start();
              await context.startRendering();
              // Messages from the rendering thread arrive after rendering; wait (bounded) for the last full frame.
              const expected = Math.floor(targetRate / (targetRate * 0.02));
              for (let i = 0; i < 100 && frames.length < expected; i += 1) await new Promise((r) => setTimeout(r, 20));
              const samples = frames.flatMap((frame) => Array.from(frame));
              let crossings = 0, peak = 0, squares = 0;
              const steady = samples.slice(200);
              for (let i = 1; i < steady.length; i += 1) if ((steady[i - 1] < 0) !== (steady[i] < 0)) crossings += 1;
              for (const s of steady) { peak = Math.max(peak, Math.abs(s)); squares += s * s; }
              done({ frames: frames.length, sizes: [...new Set(frames.map((f) => f.length))], samples: samples.length,
                     crossingsPerSecond: crossings * targetRate / steady.length, peak, rms: Math.sqrt(squares / steady.length) });
            })().catch((error) => done({ error: String(error) }));
            """

        @Test func theMicrophoneWorkletResamplesTo16kHzIn20msPCM16Frames() async throws {
            try await BrowserHarness.run { page in
                try await page.open()
                for inputRate in [48_000, 44_100] {
                    let tone = try #require(try await page.browser.executeAsync(Self.renderToneScript, [inputRate, 440, 16_000]) as? [String: Any])
                    #expect(tone["error"] == nil, "\(tone)")
                    // One second of input is 50 frames of 320 samples (640 bytes) at 16 kHz.
                    #expect(tone["sizes"] as? [Int] == [320], "input \(inputRate) Hz: \(tone)")
                    #expect(tone["frames"] as? Int == 50, "input \(inputRate) Hz: \(tone)")
                    // A 440 Hz tone crosses zero 880 times a second at the new rate too, at nearly full scale.
                    let crossings = tone["crossingsPerSecond"] as? Double ?? 0
                    #expect(abs(crossings - 880) < 15, "input \(inputRate) Hz: \(crossings) zero crossings per second")
                    #expect((tone["peak"] as? Int ?? 0) > 30_000)
                }
                // A 12 kHz tone is above the new Nyquist frequency (8 kHz): the low-pass filter must remove it rather
                // than fold it down into the speech band.
                let loud = try #require(try await page.browser.executeAsync(Self.renderToneScript, [48_000, 440, 16_000]) as? [String: Any])
                let aliased = try #require(try await page.browser.executeAsync(Self.renderToneScript, [48_000, 12_000, 16_000]) as? [String: Any])
                let ratio = (aliased["rms"] as? Double ?? 1) / (loud["rms"] as? Double ?? 1)
                #expect(ratio < 0.05, "a 12 kHz tone kept \(ratio) of its level after resampling to 16 kHz")
            }
        }

        /// Checks every control on the page for an accessible name, images for alternatives, one h1, no sideways
        /// scrolling, and the contrast of text against its background (WCAG AA: 4.5:1, 3:1 for large text).
        static let auditScript = """
            const problems = [];
            const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden' && !el.closest('[hidden]');
            const name = (el) => (el.getAttribute('aria-label') || '').trim()
              || (el.getAttribute('aria-labelledby') || '').split(' ').map((id) => document.getElementById(id)?.innerText || '').join(' ').trim()
              || [...(el.labels || [])].map((label) => label.innerText).join(' ').trim()
              || (['BUTTON', 'A'].includes(el.tagName) ? el.innerText.trim() : '');
            for (const el of document.querySelectorAll('input, select, textarea, button, a[href], [role=meter]')) {
              if (el.type === 'hidden' || el.closest('[hidden]')) continue;
              if (!name(el)) problems.push(`no accessible name: ${el.outerHTML.slice(0, 120)}`);
            }
            for (const el of document.querySelectorAll('img:not([alt]), svg:not([aria-hidden=true])')) problems.push(`image without text alternative: ${el.outerHTML.slice(0, 80)}`);
            const headings = [...document.querySelectorAll('h1')].filter(visible);
            if (headings.length !== 1) problems.push(`${headings.length} visible h1 headings`);
            if (!document.documentElement.lang) problems.push('no lang on <html>');
            if (document.documentElement.scrollWidth > document.documentElement.clientWidth + 1) {
              problems.push(`sideways scrolling: ${document.documentElement.scrollWidth} > ${document.documentElement.clientWidth}`);
            }
            const parse = (color) => { const m = color.match(/rgba?\\(([^)]+)\\)/); if (!m) return null; const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
            const luminance = ({ r, g, b }) => { const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
            const background = (el) => { for (let node = el; node; node = node.parentElement) { const c = parse(getComputedStyle(node).backgroundColor); if (c && c.a > 0.9) return c; if (getComputedStyle(node).backgroundImage !== 'none') return null; } return { r: 255, g: 255, b: 255, a: 1 }; };
            for (const el of document.querySelectorAll('body *')) {
              if (!visible(el) || el.closest('.visually-hidden') || el.closest(':disabled') || el.closest('[aria-disabled=true]')) continue;
              if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
              const style = getComputedStyle(el);
              if (Number(style.opacity) < 1) continue;
              const fg = parse(style.color); const bg = background(el);
              if (!fg || !bg) continue;
              const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
              const ratio = (l1 + 0.05) / (l2 + 0.05);
              const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
              if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)}:1 for “${el.innerText.trim().slice(0, 40)}”`);
            }
            return problems;
            """

        /// This page's own checks, then axe-core's.
        func audit(_ page: BrowserHarness, _ screen: String) async throws {
            let problems = try await page.browser.execute(Self.auditScript) as? [String] ?? ["the audit did not run"]
            #expect(problems.isEmpty, "\(screen): \(problems)")
            try await page.expectAccessible(screen)
        }

        @Test func everyScreenIsLabelledReadableAndFitsAPhone() async throws {
            try await BrowserHarness.run(phone: true) { page in
                try await page.open()
                try await audit(page, "sign up")
                // The keyboard reaches the skip link first, and focus is visible.
                try await page.browser.press([Key.tab])
                let focus = try await page.browser.execute(
                    "const e = document.activeElement; return [e.className, getComputedStyle(e).outlineStyle, e.getBoundingClientRect().top >= 0]") as? [Any]
                #expect(focus?.first as? String == "skip-link")
                #expect(focus?[1] as? String != "none")
                #expect(focus?[2] as? Bool == true)

                try await page.type("input[name=name]", "Ada")
                try await page.click("form button[type=submit]")
                try await page.waitForElement(".error-summary")
                try await audit(page, "sign up with errors")

                let email = try page.engine.createAccount()
                try await page.open("#/signin")
                try await audit(page, "sign in")
                try await page.signInThroughTheForm(email: email)
                try await audit(page, "practice setup")
                try await page.startInterview(mode: "text")
                try await page.recordEngineEvents()
                try await page.answerByTyping("Um, at my last job our team had to ship a billing service in six weeks.")
                try await page.waitForText("[data-testid=filler-count]", containing: "1")
                // Thirty words of "we" and no "I": the engine's prompts have a tip for that, and the page shows it.
                try await page.answerByTyping("We split the work so that we could meet the date, and we asked the other teams for help, "
                    + "and then we shipped it together.")
                try await page.expectTheEnginesTip(waitingForATip: true)
                try await audit(page, "interview room")
                try await page.screenshot("interview-phone")
                try await page.click("[data-testid=end-interview]")
                try await page.waitForElement("dialog[open]")
                try await page.expectAccessible("the dialog that ends the interview")
                try await page.confirmDialog()
                try await page.waitForElement("[data-testid=end-screen]")
                try await audit(page, "end screen")

                try await page.click("[data-nav=history]")
                try await page.waitForElement("[data-testid=history-table]")
                try await audit(page, "history")
                try await page.click("[data-testid=session-link]")
                try await page.waitForElement("[data-testid=session-transcript]")
                try await audit(page, "session")
                try await page.click("[data-nav=minutes]")
                try await page.waitForElement("[data-testid=buy-minutes]")
                try await audit(page, "minutes")
                try await page.click("[data-nav=account]")
                try await page.waitForElement("[data-testid=export-data]")
                try await audit(page, "account")
            }
        }

        @Test func theAgeCheckOnThePageAgreesWithTheEngineAroundTheSixteenthBirthday() async throws {
            try await BrowserHarness.run { page in
                try await page.open()
                // Today sixteen years ago is old enough; tomorrow sixteen years ago is not, on the page and in the engine.
                let verdicts = try #require(try await page.browser.executeAsync("""
                    const done = arguments[arguments.length - 1];
                    import('/js/views/auth.js').then(({ birthDateFrom, ageOn, minimumAge }) => {
                      const today = new Date();
                      const dates = [0, 1].map((extra) => new Date(today.getFullYear() - 16, today.getMonth(), today.getDate() + extra));
                      done(dates.map((date) => {
                        const parsed = birthDateFrom(String(date.getDate()), String(date.getMonth() + 1), String(date.getFullYear()));
                        return [parsed.value, ageOn(parsed.date) >= minimumAge];
                      }));
                    }, (error) => done(String(error)));
                    """) as? [[Any]], "the page's age check could not run")
                #expect(verdicts.count == 2)
                for verdict in verdicts {
                    let birthDate = try #require(verdict.first as? String)
                    let allowedByPage = try #require(verdict.last as? Bool)
                    let response = try page.engine.http.send("POST", "v1/accounts", body: [
                        "name": "Birthday Test", "email": BrowserEngine.newEmail("birthday"), "password": BrowserEngine.password,
                        "birth_date": birthDate])
                    #expect((response.status == 201) == allowedByPage, "born \(birthDate): page allows \(allowedByPage), engine answered \(response.status)")
                    #expect(response.status == 201 || response.status == 403, "born \(birthDate): engine answered \(response.status)")
                }
                #expect(verdicts.first?.last as? Bool == true)
                #expect(verdicts.last?.last as? Bool == false)
            }
        }

        @Test func theClientLoadsNothingFromOtherOrigins() throws {
            let root = BrowserEngine.repository.appendingPathComponent("web-static").resolvingSymlinksInPath()
            let files = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.allObjects as? [URL])
                .filter { ["html", "css", "js", "svg"].contains($0.pathExtension) }
            #expect(files.count >= 10)
            // Any absolute URL or protocol-relative reference, apart from the SVG namespace name (never fetched).
            let external = try NSRegularExpression(pattern: #"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}"#, options: [.caseInsensitive])
            for file in files {
                let text = try String(contentsOf: file, encoding: .utf8)
                for match in external.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    let found = String(text[Range(match.range, in: text)!])
                    #expect(found == "http://www.w3.org", "\(file.lastPathComponent) refers to \(found)")
                }
                #expect(!text.contains("@import url("), "\(file.lastPathComponent) imports a stylesheet")
            }
        }
    }
}
