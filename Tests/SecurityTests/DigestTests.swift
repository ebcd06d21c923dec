import Foundation
import Testing
import Security

@Suite struct DigestTests {
    static func hex(_ text: String) -> Data {
        var data = Data()
        var rest = Substring(text)
        while !rest.isEmpty {
            data.append(UInt8(rest.prefix(2), radix: 16)!)
            rest = rest.dropFirst(2)
        }
        return data
    }

    @Test(arguments: [
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256KnownVectors(input: String, expected: String) {
        #expect(Digest.sha256(Data(input.utf8)).hexString == expected)
    }

    /// RFC 4231 test case 2.
    @Test func hmacSHA256RFC4231Case2() {
        let mac = Digest.hmacSHA256(key: Data("Jefe".utf8), message: Data("what do ya want for nothing?".utf8))
        #expect(mac.hexString == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// RFC 4231 test case 1: a 20-byte key of 0x0b.
    @Test func hmacSHA256RFC4231Case1() {
        let mac = Digest.hmacSHA256(key: Data(repeating: 0x0b, count: 20), message: Data("Hi There".utf8))
        #expect(mac.hexString == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    /// RFC 4231 test case 6: a key longer than the block size is hashed first.
    @Test func hmacSHA256RFC4231Case6() {
        let mac = Digest.hmacSHA256(key: Data(repeating: 0xaa, count: 131),
                                    message: Data("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(mac.hexString == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func hmacSHA256OfEmptyMessage() {
        let mac = Digest.hmacSHA256(key: Data("key".utf8), message: Data())
        #expect(mac.hexString == "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0")
    }

    @Test func hexStringIsLowerCase() {
        #expect(Self.hex("00ff10ab").hexString == "00ff10ab")
        #expect(Data([0xAB, 0xCD]).hexString == "abcd")
    }

    @Test func base64URLStringHasNoPaddingOrUnsafeCharacters() {
        #expect(Data([0xfb, 0xff, 0xbf]).base64URLString == "-_-_")
        #expect(Data([0x00]).base64URLString == "AA")
    }

    /// RFC 4648 §5 read back: the standard alphabet restored and the padding put back give the bytes again.
    @Test func base64URLStringDecodesToTheSameBytes() throws {
        var generator = SystemRandomNumberGenerator()
        for count in 0..<200 {
            let bytes = Data((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
            let url = bytes.base64URLString
            #expect(url.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            let standard = String(url.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
            let padded = standard + String(repeating: "=", count: (4 - standard.count % 4) % 4)
            #expect(Data(base64Encoded: padded) == bytes, "\(count) bytes")
        }
    }

    @Test func constantTimeEqual() {
        let mac = Self.hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        var flippedLast = mac
        flippedLast[flippedLast.count - 1] ^= 1
        var flippedFirst = mac
        flippedFirst[0] ^= 0x80
        #expect(Digest.constantTimeEqual(mac, Data(mac)))
        #expect(!Digest.constantTimeEqual(mac, flippedLast))
        #expect(!Digest.constantTimeEqual(mac, flippedFirst))
        #expect(!Digest.constantTimeEqual(mac, mac.prefix(31)))
        #expect(!Digest.constantTimeEqual(mac, mac + Data([0])))
        #expect(Digest.constantTimeEqual(Data(), Data()))
    }

    /// A slice of a larger buffer compares by content, not by its indices.
    @Test func constantTimeEqualOnSlices() {
        let buffer = Data("xxabcxx".utf8)
        #expect(Digest.constantTimeEqual(buffer[2..<5], Data("abc".utf8)))
    }
}
