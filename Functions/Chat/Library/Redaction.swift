import Foundation

/// Masks what must never be kept or sent on: card numbers (13–19 digits passing Luhn, with spaces or dashes between
/// groups), security codes (3–4 digits next to "cvv", "cvc", "security code" and the like) and email addresses.
/// Applied to every question before it is logged, kept in a session or sent to a provider.
public enum Redaction {
    public static let card = "[card number]"
    public static let code = "[security code]"
    public static let email = "[email]"

    public static func redact(_ text: String) -> String {
        var result = maskCards(text)
        result = maskSecurityCodes(result)
        result = maskEmails(result)
        return result
    }

    /// Runs of digits with single spaces or dashes between them, 13–19 digits, Luhn-valid.
    static func maskCards(_ text: String) -> String {
        let characters = Array(text)
        var output = ""
        var index = 0
        while index < characters.count {
            guard characters[index].isASCIIDigit, index == 0 || !characters[index - 1].isASCIIDigit else {
                output.append(characters[index])
                index += 1
                continue
            }
            // The longest digit run with single separators.
            var end = index
            var digits: [Int] = []
            var lastDigitEnd = index
            while end < characters.count {
                if characters[end].isASCIIDigit {
                    digits.append(Int(String(characters[end]))!)
                    end += 1
                    lastDigitEnd = end
                } else if characters[end] == " " || characters[end] == "-", end + 1 < characters.count,
                    characters[end + 1].isASCIIDigit, end > index
                {
                    end += 1
                } else {
                    break
                }
                if digits.count > 19 { break }
            }
            if (13...19).contains(digits.count), luhn(digits) {
                output += card
                index = lastDigitEnd
            } else {
                output += String(characters[index..<lastDigitEnd])
                index = lastDigitEnd
            }
        }
        return output
    }

    static func luhn(_ digits: [Int]) -> Bool {
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            if offset % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return sum % 10 == 0
    }

    static let codeWords = [
        "cvv2", "cvv", "cvc2", "cvc", "csc", "cid", "security code", "card code", "verification code",
    ]

    /// A 3–4 digit group within 20 characters after a security-code word.
    static func maskSecurityCodes(_ text: String) -> String {
        var result = text
        let lower = text.lowercased()
        var ranges: [Range<String.Index>] = []
        for word in codeWords {
            var searchStart = lower.startIndex
            while let found = lower.range(of: word, range: searchStart..<lower.endIndex) {
                searchStart = found.upperBound
                var cursor = found.upperBound
                var skipped = 0
                while cursor < lower.endIndex, !lower[cursor].isASCIIDigit, skipped < 20 {
                    cursor = lower.index(after: cursor)
                    skipped += 1
                }
                var end = cursor
                while end < lower.endIndex, lower[end].isASCIIDigit { end = lower.index(after: end) }
                let count = lower.distance(from: cursor, to: end)
                if (3...4).contains(count) { ranges.append(cursor..<end) }
            }
        }
        // Replace from the back so earlier ranges stay valid (lower and text share indices: same characters).
        for range in Set(ranges.map { lower.distance(from: lower.startIndex, to: $0.lowerBound) }).sorted(by: >) {
            let start = result.index(result.startIndex, offsetBy: range)
            var end = start
            while end < result.endIndex, result[end].isASCIIDigit { end = result.index(after: end) }
            result.replaceSubrange(start..<end, with: code)
        }
        return result
    }

    /// `local@domain.tld`, loosely: what would be an address in a chat message.
    static func maskEmails(_ text: String) -> String {
        var words: [String] = []
        for token in text.split(separator: " ", omittingEmptySubsequences: false) {
            let trimmed = token.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?()<>\"'"))
            let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
            if parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
                !parts[1].hasSuffix(".")
            {
                words.append(token.replacingOccurrences(of: trimmed, with: email))
            } else {
                words.append(String(token))
            }
        }
        return words.joined(separator: " ")
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
