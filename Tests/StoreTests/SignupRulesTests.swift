import Foundation
import Testing
import Store

/// Signup checks, against fixed dates: the real clock never decides a test.
@Suite struct SignupRulesTests {
    static func utc(_ year: Int, _ month: Int, _ day: Int, hour: Int = 12, minute: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
    }

    static let today = utc(2026, 3, 15)

    static func validate(name: String = "Ann Lee", email: String = "ann@example.com", password: String = "correct horse",
                         birthDate: String = "1990-05-17", today: Date = today)
        throws(SignupRules.Problem) -> (name: String, email: String, birthDate: String) {
        try SignupRules.validate(name: name, email: email, password: password, birthDate: birthDate, today: today)
    }

    /// The field a validation refused, or nil when it passed or failed for another reason.
    static func refusedField(name: String = "Ann Lee", email: String = "ann@example.com",
                             password: String = "correct horse", birthDate: String = "1990-05-17") -> String? {
        do {
            _ = try validate(name: name, email: email, password: password, birthDate: birthDate)
            return nil
        } catch {
            if case .invalid(let field, _) = error { return field }
            return nil
        }
    }

    @Test func validSignupIsNormalised() throws {
        let valid = try Self.validate(name: "  Ann Lee \n", email: " Ann.Lee@Example.COM ")
        #expect(valid.name == "Ann Lee")
        #expect(valid.email == "ann.lee@example.com")
        #expect(valid.birthDate == "1990-05-17")
    }

    @Test func sixteenTodayIsAccepted() throws {
        _ = try Self.validate(birthDate: "2010-03-15")
        _ = try Self.validate(birthDate: "2010-03-15", today: Self.utc(2026, 3, 15, hour: 0))
    }

    @Test func dayBeforeSixteenthBirthdayIsRefused() {
        #expect(throws: SignupRules.Problem.underMinimumAge) { try Self.validate(birthDate: "2010-03-16") }
        #expect(throws: SignupRules.Problem.underMinimumAge) {
            try Self.validate(birthDate: "2010-03-15", today: Self.utc(2026, 3, 14, hour: 23, minute: 59))
        }
    }

    @Test func underSixteenIsRefused() {
        #expect(throws: SignupRules.Problem.underMinimumAge) { try Self.validate(birthDate: "2012-01-01") }
        #expect(throws: SignupRules.Problem.underMinimumAge) { try Self.validate(birthDate: "2026-03-01") }
    }

    @Test func underMinimumAgeSaysNothingWasStored() {
        #expect(SignupRules.Problem.underMinimumAge.description.contains("16"))
        #expect(SignupRules.Problem.underMinimumAge.description.contains("Nothing was stored"))
    }

    @Test(arguments: ["2001-02-30", "1990/01/01", "1990-1-01", "1990-13-01", "1990-00-10", "19900101", "", "abcd-ef-gh",
                      " 1990-01-01"])
    func badDateFormatIsRefused(birthDate: String) {
        #expect(Self.refusedField(birthDate: birthDate) == "birth_date")
    }

    @Test(arguments: ["2027-01-01", "1800-01-01"])
    func implausibleBirthDateIsRefused(birthDate: String) {
        #expect(Self.refusedField(birthDate: birthDate) == "birth_date")
    }

    @Test func leapDayIsAValidBirthDate() throws {
        _ = try Self.validate(birthDate: "2000-02-29")
    }

    @Test(arguments: ["ann", "ann@", "@example.com", "ann@example", "ann@.com", "ann@example.", "a@b@example.com",
                      "ann lee@example.com", ""])
    func implausibleEmailIsRefused(email: String) {
        #expect(Self.refusedField(email: email) == "email")
    }

    @Test func passwordLengthLimits() throws {
        #expect(Self.refusedField(password: String(repeating: "x", count: 9)) == "password")
        _ = try Self.validate(password: String(repeating: "x", count: 10))
        _ = try Self.validate(password: String(repeating: "x", count: 256))
        #expect(Self.refusedField(password: String(repeating: "x", count: 257)) == "password")
    }

    @Test func nameMustHaveOneToHundredCharacters() throws {
        #expect(Self.refusedField(name: "   ") == "name")
        #expect(Self.refusedField(name: String(repeating: "n", count: 101)) == "name")
        _ = try Self.validate(name: String(repeating: "n", count: 100))
    }
}
