import Testing

@testable import SmartPayCore

@Suite("JSON parsing")
struct JSONParserTests {
    @Test("parses every kind of value, keeping numbers' literal text")
    func values() throws {
        let value = try JSONParser().parse(
            #" {"a": [1, -2.5e3, 0.1, true, false, null], "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "o": {}} "#)
        #expect(
            value["a"] == .array([.number("1"), .number("-2.5e3"), .number("0.1"), .bool(true), .bool(false), .null]))
        #expect(value["s"] == .string("x\"\\/\u{8}\u{c}\n\r\té😀"))
        #expect(value["o"] == .object([:]))
        #expect(try JSONParser().parse("12345678901234567890123") == .number("12345678901234567890123"))
    }

    @Test(
        "refuses malformed JSON with the position and the reason",
        arguments: [
            ("{\"a\": 1,}", "line 1, column 9: expected a string key in an object"),
            ("[1 2]", "line 1, column 4: expected ',' or ']' in an array"),
            ("{\"a\": 01}", "leading zeros are not allowed"),
            ("{\"a\": 1, \"a\": 2}", "duplicate key \"a\""),
            ("\"\\x\"", "invalid escape"),
            ("\"\\ud800\"", "unpaired UTF-16 surrogate"),
            ("tru", "unexpected end of input in a literal"),
            ("{}\n{}", "line 2, column 1: unexpected data after the JSON value"),
            ("", "unexpected end of input, expected a value"),
            ("\"abc", "unterminated string"),
            ("1.", "expected a digit after '.'"),
            ("\"a\u{01}\"", "unescaped control character"),
        ])
    func malformed(text: String, expected: String) {
        #expect {
            try JSONParser().parse(text)
        } throws: { error in
            (error as? JSONParseError)?.description.contains(expected) == true
        }
    }

    @Test("refuses invalid UTF-8 and nesting past the limit")
    func limits() {
        #expect(throws: JSONParseError.self) { try JSONParser().parse([0x22, 0xFF, 0xFE, 0x22]) }
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParseError.self) { try JSONParser(maximumDepth: 128).parse(deep) }
        #expect(throws: Never.self) { try JSONParser(maximumDepth: 256).parse(deep) }
    }

    @Test("serialization round-trips and sorts keys")
    func roundTrip() throws {
        let text = #"{"b":[1,"two",{"z":null,"a":false}],"a":"\u0001\n\"q\""}"#
        let value = try JSONParser().parse(text)
        #expect(value.serializedString == #"{"a":"\u0001\n\"q\"","b":[1,"two",{"a":false,"z":null}]}"#)
        #expect(try JSONParser().parse(value.serialized()) == value)
    }
}

@Suite("JSON decoding errors name the field")
struct JSONDecodingTests {
    struct PaymentMethod: Decodable { let type: String; let token: String? }
    struct Item: Decodable { let unitPrice: MinorUnits; let quantity: Int }
    struct Request: Decodable {
        let money: Money
        let customerId: String
        let paymentMethod: PaymentMethod
        let items: [Item]?
        init(from decoder: any Decoder) throws {
            money = try Money(from: decoder)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            customerId = try container.decode(String.self, forKey: .customerId)
            paymentMethod = try container.decode(PaymentMethod.self, forKey: .paymentMethod)
            items = try container.decodeIfPresent([Item].self, forKey: .items)
        }
        enum CodingKeys: String, CodingKey { case customerId, paymentMethod, items }
    }

    func message(_ json: String) -> String? {
        do {
            _ = try JSONValueDecoder().decode(Request.self, from: Array(json.utf8))
            return nil
        } catch let error as DecodingError {
            return error.fieldMessage
        } catch {
            return "\(error)"
        }
    }

    @Test("a valid request decodes, snake_case keys to camelCase properties")
    func valid() throws {
        let request = try JSONValueDecoder().decode(
            Request.self,
            from: Array(
                #"{"amount": 2000, "currency": "usd", "customer_id": "c_7", "payment_method": {"type": "card", "token": "pm_card_visa"}}"#
                    .utf8))
        #expect(request.money == Money(minorUnits: 2000, currency: .usd))
        #expect(request.customerId == "c_7")
        #expect(request.paymentMethod.token == "pm_card_visa")
    }

    @Test(
        "each error names its JSON path and what was there",
        arguments: [
            (#"{"amount": 12.5, "currency": "USD"}"#, "amount: expected an integer number of minor units, got 12.5"),
            (
                #"{"amount": "100", "currency": "USD"}"#,
                "amount: expected an integer number of minor units, got the string \"100\""
            ),
            (
                #"{"amount": 99999999999999999999, "currency": "USD"}"#,
                "amount: expected an integer number of minor units, got 99999999999999999999 (out of range)"
            ),
            (#"{"amount": null, "currency": "USD"}"#, "amount: expected an integer number of minor units, got null"),
            (#"{"amount": 1e3, "currency": "USD"}"#, "amount: expected an integer number of minor units, got 1e3"),
            (
                #"{"amount": 100, "currency": "ABC"}"#,
                "currency: unknown currency \"ABC\": expected an ISO 4217 code such as USD, EUR or JPY"
            ),
            (#"{"amount": 100, "currency": "USD"}"#, "customer_id: required field is missing"),
            (#"{"amount": 100, "currency": "USD", "customer_id": 7}"#, "customer_id: expected a string, got 7"),
            (
                #"{"amount": 100, "currency": "USD", "customer_id": "c", "payment_method": {}}"#,
                "payment_method.type: required field is missing"
            ),
            (
                #"{"amount": 100, "currency": "USD", "customer_id": "c", "payment_method": []}"#,
                "payment_method: expected an object, got an array"
            ),
            (
                #"{"amount": 100, "currency": "USD", "customer_id": "c", "payment_method": {"type": "card"}, "items": [{"unit_price": 5, "quantity": 1}, {"unit_price": 5.5, "quantity": 1}]}"#,
                "items[1].unit_price: expected an integer number of minor units, got 5.5"
            ),
            (
                #"{"amount": 100, "currency": "USD", "customer_id": "c", "payment_method": {"type": "card"}, "items": [{"unit_price": 5, "quantity": 1.5}]}"#,
                "items[0].quantity: expected an integer, got 1.5"
            ),
            (#"[1, 2]"#, "expected an object, got an array"),
        ])
    func errors(json: String, expected: String) {
        #expect(message(json) == expected)
    }

    @Test("snake_case conversion matches JSONEncoder's words")
    func snake() {
        #expect(snakeCase("customerId") == "customer_id")
        #expect(snakeCase("requestID") == "request_id")
        #expect(snakeCase("myURLValue") == "my_url_value")
        #expect(snakeCase("partsBps") == "parts_bps")
        #expect(snakeCase("detail-type") == "detail-type")
        #expect(snakeCase("amount") == "amount")
    }
}
