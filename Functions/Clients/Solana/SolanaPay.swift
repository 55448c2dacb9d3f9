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
        DecimalText.format(units, decimals: decimals, trimmingZeros: true)
    }

    /// Digits, optionally a point and more digits: what Solana Pay allows for `amount`.
    public static func isDecimal(_ text: String) -> Bool { DecimalText.isDecimal(text) }

    /// A decimal to base units; nil for a malformed number or more fraction digits than `decimals`.
    public static func units(_ text: String, decimals: Int) -> Int64? { DecimalText.parse(text, decimals: decimals) }
}
