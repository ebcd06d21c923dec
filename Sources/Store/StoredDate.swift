import Foundation

extension Date {
    /// The text GRDB stores for this date ("yyyy-MM-dd HH:mm:ss.SSS", UTC, to the nearest millisecond),
    /// worked out by arithmetic. GRDB formats a `Date` argument with one shared `DateFormatter`, about 50 µs a
    /// date through ICU and a lock; session records carry several dates each, so the store writer passes this text
    /// instead. Reading is unchanged: GRDB parses the same text back into a `Date`.
    var storedText: String {
        // As Foundation hands the date to ICU (milliseconds since 1970 as a double), rounded as ICU rounds it.
        let milliseconds = Int64(((timeIntervalSinceReferenceDate + 978_307_200) * 1000).rounded())
        let (days, millisecondOfDay) = Self.floorDivision(milliseconds, by: 86_400_000)
        let (year, month, day) = Self.civilDate(daysSince1970: days)
        let second = millisecondOfDay / 1000
        var text = [UInt8]()
        text.reserveCapacity(23)
        func append(_ value: Int64, digits: Int) {
            var divisor: Int64 = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
                divisor /= 10
            }
        }
        append(year, digits: 4); text.append(UInt8(ascii: "-"))
        append(month, digits: 2); text.append(UInt8(ascii: "-"))
        append(day, digits: 2); text.append(UInt8(ascii: " "))
        append(second / 3600, digits: 2); text.append(UInt8(ascii: ":"))
        append(second / 60 % 60, digits: 2); text.append(UInt8(ascii: ":"))
        append(second % 60, digits: 2); text.append(UInt8(ascii: "."))
        append(millisecondOfDay % 1000, digits: 3)
        return String(decoding: text, as: UTF8.self)
    }

    private static func floorDivision(_ value: Int64, by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    /// Year, month and day in the proleptic Gregorian calendar (Howard Hinnant's `civil_from_days`).
    private static func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
