import Foundation

/// The checks a signup must pass before anything is stored.
public enum SignupRules {
    public static let minimumAge = 16
    public static let minimumPasswordLength = 10
    public static let maximumPasswordLength = 256

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case invalid(field: String, message: String)
        case underMinimumAge

        public var description: String {
            switch self {
            case .invalid(_, let message): message
            case .underMinimumAge:
                "You must be at least \(SignupRules.minimumAge) years old to use Jestry. Nothing was stored."
            }
        }
    }

    /// Checks the fields and returns them normalised (trimmed name, lower-case email).
    public static func validate(name: String, email: String, password: String, birthDate: String,
                                today: Date) throws(Problem) -> (name: String, email: String, birthDate: String) {
        let name = try validName(name)
        let email = try validEmail(email)
        guard password.count >= minimumPasswordLength, password.count <= maximumPasswordLength else {
            throw .invalid(field: "password",
                           message: "Choose a password of \(minimumPasswordLength) to \(maximumPasswordLength) characters.")
        }
        guard let birth = parseDate(birthDate) else {
            throw .invalid(field: "birth_date", message: "Give the birth date as YYYY-MM-DD, e.g. 1994-05-17.")
        }
        guard let birthDay = utcCalendar.date(from: birth), birthDay <= today,
              let age = age(born: birth, on: today), age < 130 else {
            throw .invalid(field: "birth_date", message: "The birth date \(birthDate) is not plausible.")
        }
        guard age >= minimumAge else { throw .underMinimumAge }
        return (name, email, birthDate)
    }

    /// The name trimmed; 1 to 100 characters, no control characters.
    public static func validName(_ name: String) throws(Problem) -> String {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid(field: "name", message: "Give a name of 1 to 100 characters.")
        }
        return name
    }

    /// The email trimmed and in lower case, if it looks like an address.
    public static func validEmail(_ email: String) throws(Problem) -> String {
        let email = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard isPlausibleEmail(email) else {
            throw .invalid(field: "email", message: "\"\(email.prefix(100))\" does not look like an email address.")
        }
        return email
    }

    static func isPlausibleEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        return email.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !email.contains(where: \.isWhitespace)
            && !email.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    }

    static var utcCalendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    static func parseDate(_ text: String) -> DateComponents? {
        let parts = text.split(separator: "-")
        guard text.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              let date = utcCalendar.date(from: DateComponents(year: year, month: month, day: day)) else { return nil }
        let back = utcCalendar.dateComponents([.year, .month, .day], from: date)
        guard back.year == year, back.month == month, back.day == day else { return nil }  // rejects 2001-02-30
        return back
    }

    /// Whole years between the birth date and `today` (UTC).
    static func age(born: DateComponents, on today: Date) -> Int? {
        guard let birth = utcCalendar.date(from: born) else { return nil }
        return utcCalendar.dateComponents([.year], from: birth, to: today).year
    }
}
