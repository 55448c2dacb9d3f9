/// Fixed-point integers written as decimal text and read back, exactly: `12345` with 2 decimals is `123.45`.
/// Money (`Money.description`), Amazon Pay's price strings, Solana Pay amounts and reward tokens all use it.
public enum DecimalText {
    /// `units` / 10^`decimals` in decimal: all the decimals (`42.00`), or without trailing zeros (`42`, `0.05`).
    public static func format(_ units: Int64, decimals: Int, trimmingZeros: Bool = false) -> String {
        let sign = units < 0 ? "-" : ""
        let digits = String(units.magnitude)
        guard decimals > 0 else { return sign + digits }
        let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
        var fraction = Substring(padded.suffix(decimals))
        if trimmingZeros { while fraction.last == "0" { fraction = fraction.dropLast() } }
        let whole = padded.dropLast(decimals)
        return sign + (fraction.isEmpty ? String(whole) : whole + "." + fraction)
    }

    /// Digits, optionally a point and more digits (`12`, `0.05`): no sign, exponent or bare point.
    public static func isDecimal(_ text: String) -> Bool {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(isDigit) else { return false }
        return parts.count == 1 || (!parts[1].isEmpty && parts[1].allSatisfy(isDigit))
    }

    /// The decimal times 10^`decimals` (`"1.5"`, 4 → 15,000); nil when it is not a decimal, has more fraction digits
    /// than `decimals`, or overflows.
    public static func parse(_ text: String, decimals: Int) -> Int64? {
        guard isDecimal(text) else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1)
        let fraction = parts.count > 1 ? parts[1] : ""
        guard fraction.count <= decimals, let whole = Int64(parts[0]) else { return nil }
        var scale: Int64 = 1
        for _ in 0..<decimals {
            let (next, overflow) = scale.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            scale = next
        }
        let part = Int64(fraction + String(repeating: "0", count: decimals - fraction.count)) ?? 0
        let (product, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        let (sum, overflowed) = product.addingReportingOverflow(part)
        return overflowed ? nil : sum
    }

    static func isDigit(_ character: Character) -> Bool { ("0"..."9").contains(character) }
}
