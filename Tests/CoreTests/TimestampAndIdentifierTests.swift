import Testing

@testable import SmartPayCore

@Suite("Timestamp")
struct TimestampTests {
    @Test("formats and parses RFC 3339 in UTC, round-tripping any instant")
    func roundTrip() throws {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<5000 {
            let millis = Int64.random(in: -62_135_596_800_000...253_402_300_799_999, using: &generator)
            let timestamp = Timestamp(millisecondsSinceEpoch: millis)
            #expect(try Timestamp(rfc3339: timestamp.description) == timestamp)
        }
        #expect(Timestamp(millisecondsSinceEpoch: 0).description == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: 951_782_400_000).format(fractional: false) == "2000-02-29T00:00:00Z")
    }

    @Test("parses offsets and fractions")
    func offsets() throws {
        #expect(try Timestamp(rfc3339: "2026-11-22T10:15:30+02:00") == Timestamp(rfc3339: "2026-11-22T08:15:30Z"))
        #expect(try Timestamp(rfc3339: "2018-04-01 00:00:31.5Z").millisecondsSinceEpoch % 1000 == 500)
        #expect(try Timestamp(rfc3339: "2018-04-01T00:00:31.123456Z").millisecondsSinceEpoch % 1000 == 123)
    }

    @Test(
        "refuses impossible dates and other text",
        arguments: [
            "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-22", "yesterday", "2026-11-22T25:00:00Z",
            "2026-11-22T10:00:00",
        ])
    func malformed(text: String) {
        #expect(throws: TimestampError.malformed(text)) { try Timestamp(rfc3339: text) }
    }
}

@Suite("Identifier")
struct IdentifierTests {
    @Test("random ids carry the prefix and 24 base-62 characters, and are distinct")
    func random() throws {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = Identifier.random(prefix: "pay")
            #expect(id.prefix == "pay")
            #expect(id.rawValue.count == 28)
            #expect(try Identifier(id.rawValue, prefix: "pay") == id)
            seen.insert(id.rawValue)
        }
        #expect(seen.count == 1000)
    }

    @Test(
        "malformed ids are refused",
        arguments: ["pay", "_abc", "pay_", "pay_abc-def", "pay_" + String(repeating: "a", count: 65)])
    func malformed(raw: String) {
        #expect(throws: IdentifierError.self) { try Identifier(raw) }
    }

    @Test("a wrong prefix is refused")
    func wrongPrefix() {
        #expect(throws: IdentifierError.self) { try Identifier("evt_abc", prefix: "pay") }
    }

    @Test("risk tiers follow the thresholds and order")
    func riskTier() {
        #expect(RiskTier(score: 0.1, medium: 0.3, high: 0.7) == .low)
        #expect(RiskTier(score: 0.3, medium: 0.3, high: 0.7) == .medium)
        #expect(RiskTier(score: 0.95, medium: 0.3, high: 0.7) == .high)
        #expect(RiskTier.low < .medium && RiskTier.medium < .high)
    }
}
