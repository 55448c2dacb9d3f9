/// An amount field as it arrives in JSON: an integer number of minor units, nothing else.
///
/// Decoding names what was wrong, e.g. `expected an integer number of minor units, got 12.5`, so a request with a
/// float, a string or an out-of-range amount is refused with an error that says so.
public struct MinorUnits: Hashable, Sendable, Codable {
    public let value: Int64

    public init(_ value: Int64) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let raw = try? container.decode(RawJSONNumber.self) {
            guard let value = Int64(raw.text) else {
                let why = raw.text.allSatisfy({ $0 == "-" || $0.isNumber }) ? " (out of range)" : ""
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "expected an integer number of minor units, got \(raw.text)\(why)")
            }
            self.value = value
            return
        }
        if let value = try? container.decode(Int64.self) {
            self.value = value
            return
        }
        let got: String
        if container.decodeNil() {
            got = "null"
        } else if let double = try? container.decode(Double.self) {
            got = "\(double)"
        } else if let string = try? container.decode(String.self) {
            got = "the string \"\(string)\""
        } else if (try? container.decode(Bool.self)) != nil {
            got = "a boolean"
        } else {
            got = "an object or array"
        }
        throw DecodingError.dataCorruptedError(
            in: container, debugDescription: "expected an integer number of minor units, got \(got)")
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// The literal text of a JSON number, for decoders that can supply it (SmartPay's own JSON decoder does).
///
/// Other decoders cannot decode it, and callers fall back to the typed decode.
public struct RawJSONNumber: Hashable, Sendable, Decodable {
    public let text: String

    public init(text: String) { self.text = text }

    public init(from decoder: any Decoder) throws {
        guard let provider = decoder as? any RawJSONNumberDecoder else {
            throw DecodingError.typeMismatch(
                RawJSONNumber.self,
                .init(codingPath: decoder.codingPath, debugDescription: "this decoder has no raw number text"))
        }
        self.text = try provider.decodeRawNumber()
    }
}

/// A decoder that can hand over a number's literal text.
public protocol RawJSONNumberDecoder: Decoder {
    func decodeRawNumber() throws -> String
}
