import Foundation
import SmartPayCore

/// Solana Pay transfer requests: `solana:<recipient>?amount=<decimal>&spl-token=<mint>&reference=<key>&label=…
/// &message=…&memo=…`, as the Solana Pay specification writes them.
public struct SolanaPayRequest: Sendable, Equatable {
    public var recipient: SolanaPublicKey
    /// The amount as written (a decimal in SOL or in the token's units).
    public var amount: String?
    public var splToken: SolanaPublicKey?
    public var references: [SolanaPublicKey]
    public var label: String?
    public var message: String?
    public var memo: String?

    /// - Throws: `SolanaError.invalidAddress` or `.invalidTransaction` naming the part that does not parse.
    public init(url: String) throws(SolanaError) {
        guard url.hasPrefix("solana:") else { throw .invalidTransaction("a transfer request starts with solana:") }
        let rest = url.dropFirst("solana:".count)
        let parts = rest.split(separator: "?", maxSplits: 1)
        recipient = try SolanaPublicKey(String(parts.first ?? ""))
        references = []
        for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
            let field = pair.split(separator: "=", maxSplits: 1)
            let name = String(field[0])
            let value = field.count > 1 ? String(field[1]).removingPercentEncoding ?? "" : ""
            switch name {
            case "amount":
                guard SolanaPay.isDecimal(value) else {
                    throw .invalidTransaction("amount \"\(value)\" is not a decimal number")
                }
                amount = value
            case "spl-token": splToken = try SolanaPublicKey(value)
            case "reference": references.append(try SolanaPublicKey(value))
            case "label": label = value
            case "message": message = value
            case "memo": memo = value
            default: continue
            }
        }
    }
}

public enum SolanaPay {
    /// Base units as a decimal without trailing zeros: `decimal(10_000_000, decimals: 9)` is `0.01`.
    public static func decimal(_ units: Int64, decimals: Int) -> String {
        let digits = String(units)
        guard decimals > 0 else { return digits }
        let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
        let whole = padded.dropLast(decimals)
        var fraction = Substring(padded.suffix(decimals))
        while fraction.last == "0" { fraction = fraction.dropLast() }
        return fraction.isEmpty ? String(whole) : whole + "." + fraction
    }

    /// Digits, optionally a point and more digits: what Solana Pay allows for `amount`.
    public static func isDecimal(_ text: String) -> Bool {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit) else { return false }
        return parts.count == 1 || (!parts[1].isEmpty && parts[1].allSatisfy(\.isASCIIDigit))
    }

    /// A decimal to base units; nil for a malformed number or more fraction digits than `decimals`.
    public static func units(_ text: String, decimals: Int) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholeText = parts.first, !wholeText.isEmpty, wholeText.allSatisfy(\.isASCIIDigit) else { return nil }
        let fraction = parts.count > 1 ? parts[1] : ""
        guard fraction.count <= decimals, fraction.allSatisfy(\.isASCIIDigit), parts.count == 1 || !fraction.isEmpty
        else { return nil }
        let padded = fraction + String(repeating: "0", count: decimals - fraction.count)
        guard let whole = Int64(wholeText), let part = Int64(padded.isEmpty ? "0" : padded) else { return nil }
        var scale: Int64 = 1
        for _ in 0..<decimals {
            let (next, overflow) = scale.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            scale = next
        }
        let (product, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        let (sum, overflowed) = product.addingReportingOverflow(part)
        return overflowed ? nil : sum
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
