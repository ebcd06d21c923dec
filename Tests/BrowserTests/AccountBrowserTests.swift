import Foundation
import Testing

extension BrowserTests {
    @Suite struct Accounts {
        @Test func aNewcomerSignsUpWithTheAgeRuleExplainedThenSignsOutAndBackIn() async throws {
            try await BrowserHarness.run { page in
                // A first visit opens the sign-up form, which explains the age rule before asking.
                try await page.open()
                #expect(try await page.currentRoute() == "#/signup")
                let ageRule = try await page.text("#age-rule")
                #expect(ageRule.contains("16 and over"))
                #expect(ageRule.contains("date of birth"))
                try await page.screenshot("sign-up")

                let email = BrowserEngine.newEmail("newcomer")
                try await page.type("input[name=name]", "Ada Lovelace")
                try await page.type("input[name=email]", email)
                try await page.type("input[name=password]", "analytical engine")
                let tenYearsAgo = Calendar(identifier: .gregorian).component(.year, from: Date()) - 10
                try await page.type("input[name=birth-day]", "10")
                try await page.type("input[name=birth-month]", "12")
                try await page.type("input[name=birth-year]", String(tenYearsAgo))
                try await page.click("form button[type=submit]")
                let problem = try await page.waitForText(".error-summary", containing: "at least 16")
                #expect(problem.contains("Nothing was stored"))
                #expect(try await page.attribute("input[name=birth-year]", "aria-invalid") == "true")
                #expect(try await page.currentRoute() == "#/signup")

                // Old enough: the account is created (so nothing was stored before), signed in, and the balance shows.
                try await page.type("input[name=birth-year]", "1990")
                try await page.click("form button[type=submit]")
                try await page.waitForElement("[data-testid=start-interview]")
                #expect(try await page.currentRoute() == "#/practice")
                #expect(try await page.text("#balance-value") == "10 min")
                #expect(try await page.text("#notice-area").contains("Welcome, Ada Lovelace"))

                // Signing out returns to the sign-in form and hides the account.
                try await page.click("#sign-out")
                try await page.waitForElement("input[name=email]")
                #expect(try await page.currentRoute() == "#/signin")
                #expect(try await page.browser.execute("return document.querySelector('.header-account').hidden") as? Bool == true)
                #expect(try await page.text("#notice-area").contains("You are signed out."))
                // The engine ended the sign-in: the cookie the page still has no longer works.
                let meStatus = try await page.browser.executeAsync(
                    "const done = arguments[arguments.length - 1]; fetch('/v1/me').then((r) => done(r.status), () => done(0));") as? Int
                #expect(meStatus == 401, "after sign-out /v1/me answered \(String(describing: meStatus))")
                // Reloading does not sign the person back in.
                try await page.open()
                #expect(try await page.currentRoute() == "#/signin")

                // A wrong password is refused with the engine's words; the right one signs in.
                page.expectConsoleError("/v1/login - Failed to load resource: the server responded with a status of 401")
                try await page.type("input[name=email]", email)
                try await page.type("input[name=password]", "not the password")
                try await page.click("form button[type=submit]")
                try await page.waitForText(".error-summary", containing: "The email or password is wrong.")
                try await page.type("input[name=password]", "analytical engine")
                try await page.click("form button[type=submit]")
                try await page.waitForElement("[data-testid=start-interview]")
                #expect(try await page.text("#balance-value") == "10 min")

                // Nothing came from anywhere but the engine.
                let origins = try await page.browser.execute(
                    "return [...new Set(performance.getEntriesByType('resource').map((e) => new URL(e.name).origin))]") as? [String] ?? []
                #expect(origins.allSatisfy { $0 == page.engine.baseURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) },
                        "resources from other origins: \(origins)")
            }
        }
    }
}
