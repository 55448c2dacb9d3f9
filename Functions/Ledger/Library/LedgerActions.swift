import FunctionKit
import SmartPayLedger

/// The bodies of the ledger's direct actions (operators and the platform's own callers).
public enum LedgerAction {
    /// Flags by name (`["pending", "linked"]`); an unknown name is refused, naming the known ones.
    static func flags<Flags: OptionSet>(_ names: [String]?, _ known: [(Flags, String)], field: String)
        throws(LedgerInputError) -> Flags where Flags.Element == Flags
    {
        var set: Flags = []
        for name in names ?? [] {
            guard let flag = known.first(where: { $0.1 == name })?.0 else {
                throw LedgerInputError(
                    field: field,
                    "unknown flag \(name.debugDescription); known: " + known.map(\.1).joined(separator: ", "))
            }
            set.insert(flag)
        }
        return set
    }

    /// `create_transfers`: TigerBeetle's request, ids as hex, flags by name.
    public struct CreateTransfers: Decodable, Sendable {
        public var transfers: [TransferBody]
        enum CodingKeys: String, CodingKey, CaseIterable { case transfers }
    }

    public struct TransferBody: Decodable, Sendable {
        public var id: LedgerID
        public var debitAccountID: LedgerID?
        public var creditAccountID: LedgerID?
        public var amount: Int64?
        public var pendingID: LedgerID?
        public var ledger: LedgerName
        public var code: UInt16?
        public var flags: [String]?
        public var timeout: Int64?
        public var userData: String?
        enum CodingKeys: String, CodingKey, CaseIterable {
            case id, debitAccountID, creditAccountID, amount, pendingID, ledger, code, flags, timeout, userData
        }

        func transfer(at index: Int) throws(LedgerInputError) -> NewTransfer {
            let set = try LedgerAction.flags(flags, TransferFlags.names, field: "transfers[\(index)].flags")
            return NewTransfer(
                id: id, debitAccountID: debitAccountID ?? .zero, creditAccountID: creditAccountID ?? .zero,
                amount: amount ?? 0, pendingID: pendingID ?? .zero, ledger: ledger, code: code ?? 0, flags: set,
                timeout: timeout ?? 0, userData: userData ?? "")
        }
    }

    /// `create_accounts`: TigerBeetle's request, ids as hex, flags by name.
    public struct CreateAccounts: Decodable, Sendable {
        public var accounts: [AccountBody]
        enum CodingKeys: String, CodingKey, CaseIterable { case accounts }
    }

    public struct AccountBody: Decodable, Sendable {
        public var id: LedgerID
        public var ledger: LedgerName
        public var code: UInt16
        public var owner: String
        public var name: String?
        public var flags: [String]?
        enum CodingKeys: String, CodingKey, CaseIterable { case id, ledger, code, owner, name, flags }

        func account(at index: Int) throws(LedgerInputError) -> NewAccount {
            let set = try LedgerAction.flags(flags, AccountFlags.names, field: "accounts[\(index)].flags")
            return NewAccount(id: id, ledger: ledger, code: code, owner: owner, name: name ?? "", flags: set)
        }
    }

    /// `lookup_accounts`: by chart name (`merchant:m_42:available`) or id, in one ledger.
    public struct LookupAccounts: Decodable, Sendable {
        public var ledger: LedgerName
        public var names: [String]?
        public var ids: [LedgerID]?
        enum CodingKeys: String, CodingKey, CaseIterable { case ledger, names, ids }
    }

    /// `lookup_transfers`.
    public struct LookupTransfers: Decodable, Sendable {
        public var ledger: LedgerName
        public var ids: [LedgerID]
        enum CodingKeys: String, CodingKey, CaseIterable { case ledger, ids }
    }

    /// `verify`, `seal`, `expire`: one ledger, or every ledger when none is named.
    public struct Ledgers: Decodable, Sendable {
        public var ledger: LedgerName?
        enum CodingKeys: String, CodingKey, CaseIterable { case ledger }
    }

    /// `balance`: a merchant's balance (the platform asking; the HTTP route takes the caller's merchant).
    public struct Balance: Decodable, Sendable, ValidatedBody {
        public var merchantID: String
        enum CodingKeys: String, CodingKey, CaseIterable { case merchantID }
        public func validate() throws(FunctionError) { try FieldRule.text(merchantID, "merchant_id") }
    }
}
