import Testing

@testable import SmartPayCore

@Suite("JSON fields")
struct JSONFieldsTests {
    struct Refusal: Error, Equatable {
        let text: String
    }

    @Test("reads each kind of member and refuses a wrong one naming the field")
    func readers() throws {
        let fields = try JSONFields(
            JSONParser().parse(
                #"{"name": "Ada", "amount": 250, "currency": "eur", "country": "fr", "flag": true, "n": 1.5, "#
                    + #""tags": ["a", "b"], "bad": "a\u0001b", "empty": "", "none": null}"#),
            what: "the test")
        #expect(try fields.requiredString("name") == "Ada")
        #expect(try fields.minorUnits("amount") == 250)
        #expect(try fields.currency() == .eur)
        #expect(try fields.requiredCountry("country") == "FR")
        #expect(try fields.bool("flag") == true)
        #expect(try fields.number("n") == 1.5)
        #expect(try fields.strings("tags") == ["a", "b"])
        #expect(try fields.string("none") == nil)
        #expect(!fields.has("none"))
        #expect(throws: JSONFieldError("none", "is required")) { try fields.requiredString("none") }
        #expect(throws: JSONFieldError("bad", "must not contain control characters")) { try fields.string("bad") }
        #expect(throws: JSONFieldError("empty", "expected 1 to 128 characters, got 0")) { try fields.string("empty") }
        #expect(throws: JSONFieldError("name", "expected an ISO 3166 alpha-2 country code, got \"Ada\"")) {
            try fields.country("name")
        }
        #expect(throws: JSONFieldError("name", "expected an integer number of minor units, got the string \"Ada\"")) {
            try fields.minorUnits("name")
        }
    }

    @Test("a value that is not an object is refused with no field, in the caller's error type")
    func notAnObject() {
        #expect(throws: JSONFieldError(nil, "expected a JSON object with the test")) {
            try JSONFields(.array([]), what: "the test")
        }
        #expect(throws: Refusal(text: "expected a JSON object with the test")) {
            try JSONFields(.null, what: "the test", failure: { Refusal(text: $0.description) })
        }
    }
}
