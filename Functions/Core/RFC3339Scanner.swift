/// Reads an RFC 3339 timestamp's parts left to right; anything out of place is `TimestampError.malformed`.
struct RFC3339Scanner {
    let text: String
    let bytes: [UInt8]
    private(set) var index = 0

    init(_ text: String) {
        self.text = text
        self.bytes = Array(text.utf8)
    }

    var isAtEnd: Bool { index == bytes.count }

    /// `count` decimal digits.
    mutating func number(_ count: Int) throws(TimestampError) -> Int64 {
        guard index + count <= bytes.count else { throw .malformed(text) }
        var value: Int64 = 0
        for byte in bytes[index..<(index + count)] {
            guard byte >= 48, byte <= 57 else { throw .malformed(text) }
            value = value * 10 + Int64(byte - 48)
        }
        index += count
        return value
    }

    /// One of `characters`.
    mutating func expect(_ characters: String) throws(TimestampError) {
        guard index < bytes.count, characters.utf8.contains(bytes[index]) else { throw .malformed(text) }
        index += 1
    }

    /// An optional `.fraction` as milliseconds (digits past the third are dropped); 0 when there is none.
    mutating func milliseconds() throws(TimestampError) -> Int64 {
        guard index < bytes.count, bytes[index] == UInt8(ascii: ".") else { return 0 }
        index += 1
        var millis: Int64 = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
            if digits < 3 { millis = millis * 10 + Int64(bytes[index] - 48) }
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw .malformed(text) }
        if digits < 3 {
            for _ in digits..<3 { millis *= 10 }
        }
        return millis
    }

    /// `Z` or `±HH:MM`, as seconds ahead of UTC.
    mutating func offsetSeconds() throws(TimestampError) -> Int64 {
        guard index < bytes.count else { throw .malformed(text) }
        if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
            index += 1
            return 0
        }
        let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
        try expect("+-")
        let offsetHours = try number(2)
        try expect(":")
        let offsetMinutes = try number(2)
        return sign * (offsetHours * 3600 + offsetMinutes * 60)
    }
}
