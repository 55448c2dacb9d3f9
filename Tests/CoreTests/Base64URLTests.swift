import Foundation
import SmartPayCore
import Testing

@Suite("Base64URL")
struct Base64URLTests {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    @Test("RFC 4648's test vectors, unpadded, and the URL-safe alphabet both ways")
    func vectors() {
        let vectors = [
            ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
    }

    @Test("encode agrees with Foundation's base64 in the URL alphabet; decode inverts it")
    func roundTrip() {
        var generator = SeededGenerator(seed: 0xB64)
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let encoded = Base64URL.encode(bytes)
            #expect(encoded == expected)
            #expect(Base64URL.decode(encoded) == bytes)
        }
    }

    @Test(
        "refuses what encode never writes: unused bits set, padding, + and /, other characters, a length of 4n + 1",
        arguments: [
            "Zh", "Zm9", "Zm9vYh", "Zm9vYmF", "-_9", "Zg==", "Zm8=", "Zm9v====", "+/8", "Zm9v Yg", "Zm9v\n", " Zg",
            "Zm9vé", "Z", "Zm9vY", "Zg.", "Zg\u{0}",
        ])
    func refusals(text: String) {
        #expect(Base64URL.decode(text) == nil, "\(text.debugDescription)")
    }

    @Test("every byte string has exactly one accepted spelling (all 2- and 3-character strings)")
    func canonical() {
        var accepted = 0
        var respelled: [String] = []
        for a in Self.alphabet {
            for b in Self.alphabet {
                for text in [String([a, b])] + Self.alphabet.map({ String([a, b, $0]) }) {
                    guard let bytes = Base64URL.decode(text) else { continue }
                    accepted += 1
                    if Base64URL.encode(bytes) != text { respelled.append(text) }
                }
            }
        }
        #expect(
            respelled.isEmpty, "\(respelled.count) non-canonical spellings accepted, such as \(respelled.prefix(5))")
        #expect(accepted == 256 + 65_536)
    }
}
