#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A UTC instant with millisecond precision, written and read as RFC 3339 (`2026-11-22T10:15:30.123Z`).
///
/// Its own small formatter keeps the harness on FoundationEssentials and off locale-dependent formatters.
public struct Timestamp: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }

    /// The current wall-clock time.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(millisecondsSinceEpoch: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    public func adding(milliseconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + milliseconds)
    }

    /// RFC 3339 in UTC with milliseconds.
    public var description: String { format(fractional: true) }

    /// RFC 3339 in UTC; `fractional: false` drops the milliseconds (EventBridge's `time` has none). `separator`
    /// and `zone` give the other common forms: `format(fractional: false, separator: " ", zone: "")` is
    /// `2018-04-01 00:00:31`, as transaction files write it.
    public func format(fractional: Bool, separator: String = "T", zone: String = "Z") -> String {
        let seconds = floorDivide(millisecondsSinceEpoch, 1000)
        let millis = millisecondsSinceEpoch - seconds * 1000
        let days = floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Timestamp.civil(fromDays: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + separator
        text += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay % 3600 / 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if fractional { text += "." + pad(millis, 3) }
        return text + zone
    }

    /// ISO 8601's basic format in UTC to the second, `20261122T101530Z`: SigV4's `X-Amz-Date`, Amazon Pay's
    /// `x-amz-pay-date`.
    public var basicFormat: String { format(fractional: false).filter { $0 != "-" && $0 != ":" } }

    /// Parses RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; a space may stand for the `T`.
    /// - Throws: `TimestampError.malformed` naming what did not parse.
    public init(rfc3339 text: String) throws(TimestampError) {
        var scanner = RFC3339Scanner(text)
        let year = try scanner.number(4)
        try scanner.expect("-")
        let month = try scanner.number(2)
        try scanner.expect("-")
        let day = try scanner.number(2)
        try scanner.expect("Tt ")
        let hour = try scanner.number(2)
        try scanner.expect(":")
        let minute = try scanner.number(2)
        try scanner.expect(":")
        let second = try scanner.number(2)
        let millis = try scanner.milliseconds()
        let offsetSeconds = try scanner.offsetSeconds()
        guard scanner.isAtEnd, (1...12).contains(month), hour < 24, minute < 60, second < 61,
            day >= 1, day <= Timestamp.daysInMonth(year: year, month: month)
        else { throw .malformed(text) }
        let days = Timestamp.days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        self.init(millisecondsSinceEpoch: seconds * 1000 + millis)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(rfc3339: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
    /// Days since 1970-01-01 for a calendar date.
    public static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The calendar date (year, month, day) of a day number.
    public static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// Why a timestamp did not parse.
public enum TimestampError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let text): "expected an RFC 3339 timestamp such as 2026-11-22T10:15:30Z, got \"\(text)\""
        }
    }
}

/// Division rounding towards minus infinity (`-1 / 86_400` is day -1, not day 0).
public func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

private func pad(_ value: Int64, _ width: Int) -> String {
    var text = String(value)
    while text.count < width { text = "0" + text }
    return text
}
