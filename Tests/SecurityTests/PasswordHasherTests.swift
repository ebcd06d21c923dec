import Foundation
import Testing
@testable import Security

@Suite struct PasswordHasherTests {
    /// Few iterations keep the tests fast; the format and the checks do not depend on the count.
    let hasher = PasswordHasher(iterations: 1000)

    @Test func rightPasswordVerifiesWrongOneDoesNot() {
        let stored = hasher.hash("correct horse battery")
        #expect(hasher.verify("correct horse battery", against: stored))
        #expect(!hasher.verify("correct horse batterY", against: stored))
        #expect(!hasher.verify("", against: stored))
    }

    @Test func storedFormatNamesAlgorithmIterationsSaltAndHash() throws {
        let parts = hasher.hash("correct horse battery").split(separator: "$", omittingEmptySubsequences: false)
        try #require(parts.count == 4)
        #expect(parts[0] == "pbkdf2-sha256")
        #expect(parts[1] == "1000")
        #expect(Data(base64Encoded: String(parts[2]))?.count == 16)
        #expect(Data(base64Encoded: String(parts[3]))?.count == 32)
    }

    @Test func samePasswordHashesDifferentlyEachTime() {
        let first = hasher.hash("correct horse battery")
        let second = hasher.hash("correct horse battery")
        #expect(first != second)
        #expect(hasher.verify("correct horse battery", against: second))
    }

    /// The iteration count travels with the hash, so old hashes verify after the default changes.
    @Test func hashVerifiesWithTheIterationsItWasMadeWith() {
        let stored = PasswordHasher(iterations: 1500).hash("correct horse battery")
        #expect(hasher.verify("correct horse battery", against: stored))
    }

    @Test func needsRehashWhenIterationsDiffer() {
        #expect(!hasher.needsRehash(hasher.hash("pw")))
        #expect(hasher.needsRehash(PasswordHasher(iterations: 2000).hash("pw")))
        #expect(hasher.needsRehash("bcrypt$whatever"))
        #expect(hasher.needsRehash(""))
    }

    @Test func defaultIterationCountIsOWASPs() {
        #expect(PasswordHasher.recommendedIterations == 600_000)
        #expect(PasswordHasher().iterations == 600_000)
    }

    @Test(arguments: [
        "",
        "pbkdf2-sha256",
        "pbkdf2-sha256$1000$c2FsdA==",
        "pbkdf2-sha512$1000$c2FsdA==$c2FsdA==",
        "pbkdf2-sha256$abc$c2FsdA==$c2FsdA==",
        "pbkdf2-sha256$0$c2FsdA==$c2FsdA==",
        "pbkdf2-sha256$-5$c2FsdA==$c2FsdA==",
        "pbkdf2-sha256$1000$not base64!$c2FsdA==",
        "pbkdf2-sha256$1000$c2FsdA==$not base64!",
        "pbkdf2-sha256$1000$c2FsdA==$",
        "pbkdf2-sha256$1000$c2FsdA==$c2FsdA==$extra",
    ])
    func malformedStoredStringsDoNotVerify(stored: String) {
        #expect(!hasher.verify("pw", against: stored))
    }

    /// Stored strings that are well-formed enough to reach the key derivation must not crash it.
    @Test(arguments: [
        "pbkdf2-sha256$1000$$c2FsdA==",
        "pbkdf2-sha256$99999999999$c2FsdA==$c2FsdA==",
    ])
    func degenerateStoredStringsDoNotVerify(stored: String) async {
        await #expect(processExitsWith: .success) { [stored] in
            let verified = PasswordHasher(iterations: 1000).verify("pw", against: stored)
            exit(verified ? 1 : 0)
        }
    }

    /// RFC 7914 section 11: PBKDF2-HMAC-SHA256, P = "passwd", S = "salt", c = 1 (first 32 of the 64 bytes).
    @Test func pbkdf2KnownVector() {
        let derived = PasswordHasher.derive("passwd", salt: Data("salt".utf8), iterations: 1)
        #expect(derived.hexString == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
    }

    /// RFC 7914 section 11, second vector: P = "Password", S = "NaCl", c = 80000 (first 32 bytes).
    @Test func pbkdf2SecondKnownVector() {
        let derived = PasswordHasher.derive("Password", salt: Data("NaCl".utf8), iterations: 80_000)
        #expect(derived.hexString == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56")
    }
}
