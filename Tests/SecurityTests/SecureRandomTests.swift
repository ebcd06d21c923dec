import Foundation
import Testing
import Security

@Suite struct SecureRandomTests {
    static let urlSafe = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    @Test func tokenIs43URLSafeCharacters() {
        for _ in 0..<50 {
            let token = SecureRandom.token()
            #expect(token.count == 43)
            #expect(token.allSatisfy(Self.urlSafe.contains), "\(token)")
        }
    }

    @Test func tokensDiffer() {
        let tokens = (0..<100).map { _ in SecureRandom.token() }
        #expect(Set(tokens).count == tokens.count)
    }

    @Test func identifierIs32HexDigits() {
        let id = SecureRandom.identifier()
        #expect(id.count == 32)
        #expect(id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(id != SecureRandom.identifier())
    }

    @Test func bytesHaveTheRequestedCount() {
        #expect(SecureRandom.bytes(0).isEmpty)
        #expect(SecureRandom.bytes(16).count == 16)
        #expect(SecureRandom.bytes(16) != SecureRandom.bytes(16))
    }
}
