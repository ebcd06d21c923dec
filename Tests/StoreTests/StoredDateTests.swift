import Foundation
import GRDB
@testable import Store
import Testing
import TestSupport

/// The store writes dates as text it works out itself; it must be exactly the text GRDB's formatter writes, so rows
/// written either way sort, compare and read back alike.
@Suite struct StoredDateTests {
    @Test func theTextIsGRDBsForRandomDatesAndTheEdgesOfSecondsDaysAndYears() {
        var generator = SeededGenerator(state: 5)
        var dates = (0..<20_000).map { _ in
            Date(timeIntervalSince1970: Double.random(in: 0...4_102_444_800, using: &generator))  // 1970 to 2100
        }
        for whole in [0.0, 951_782_400, 1_709_164_799, 1_709_251_199, 1_735_689_599, 4_102_444_799] {
            // 0.0625 and 0.1875 s are exact halves of a millisecond: the tie goes the same way.
            for fraction in [0, 0.0004, 0.0005, 0.0009999, 0.0625, 0.1875, 0.5, 0.9990001, 0.9995, 0.9999999] {
                dates.append(Date(timeIntervalSince1970: whole + fraction))
            }
        }
        dates.append(Date(timeIntervalSinceReferenceDate: 0))
        for date in dates {
            #expect(date.storedText.databaseValue == date.databaseValue, "\(date.timeIntervalSince1970)")
        }
    }
}
