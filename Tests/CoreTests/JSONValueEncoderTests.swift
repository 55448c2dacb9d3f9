import SmartPayCore
import Testing

@Suite("JSONValueEncoder and strict decoding")
struct JSONValueEncoderTests {
    struct Charge: Codable, Equatable {
        var paymentID: String
        var amount: Int64
        var currency: Currency
        var score: Double
        var tags: [String]
        var note: String?
        var nested: [String: Int]
    }

    @Test("writes snake_case keys, integers as integers, omits nil, and reads back what it wrote")
    func roundTrip() throws {
        let charge = Charge(
            paymentID: "pay_1", amount: 1999, currency: .usd, score: 0.25, tags: ["a", "b"], note: nil,
            nested: ["x": 1])
        let value = try JSONValueEncoder().encode(charge)
        #expect(
            value.serializedString
                == #"{"amount":1999,"currency":"USD","nested":{"x":1},"payment_id":"pay_1","score":0.25,"tags":["a","b"]}"#
        )
        #expect(try JSONValueDecoder().decode(Charge.self, from: value) == charge)
        #expect(try JSONValueEncoder(keyStrategy: .useDefaultKeys).encode(charge)["paymentID"] == .string("pay_1"))
        #expect(try JSONValueEncoder().encode(Money(minorUnits: 500, currency: .usd))["amount"] == .number("500"))
        #expect(try JSONValueEncoder().encode(2.0) == .number("2"))
    }

    @Test("refuses a non-finite number, naming its path")
    func nonFinite() {
        struct Scored: Encodable { var score: Double }
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(Scored(score: .nan)) }
    }

    struct Body: Decodable, Equatable {
        var amount: Int64
        var currency: String
        var description: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case amount, currency, description }
    }

    @Test("a type whose CodingKeys are CaseIterable refuses an unknown field, naming it")
    func unknownFields() throws {
        let misspelt = try JSONParser().parse(Array(#"{"amount": 5, "amuont": 5, "currency": "USD"}"#.utf8))
        do {
            _ = try JSONValueDecoder().decode(Body.self, from: misspelt)
            Issue.record("the misspelt field was accepted")
        } catch let error as UnknownFieldError {
            #expect(error.path == "amuont" && error.known == ["amount", "currency", "description"])
            #expect(error.description == "amuont: unknown field; expected one of amount, currency, description")
        }
        let good = try JSONParser().parse(Array(#"{"amount": 5, "currency": "USD"}"#.utf8))
        #expect(try JSONValueDecoder().decode(Body.self, from: good) == Body(amount: 5, currency: "USD"))
        // A type without CaseIterable keys keeps reading what it knows.
        struct Loose: Decodable { var amount: Int64 }
        #expect(try JSONValueDecoder().decode(Loose.self, from: misspelt).amount == 5)
    }
}
