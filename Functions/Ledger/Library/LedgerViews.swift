import SmartPayCore
import SmartPayLedger

/// The ledger's answers as JSON: accounts and transfers in TigerBeetle's field names, balances in Stripe's shape.
enum LedgerViews {
    static func number(_ value: Int64) -> JSONValue { .number(String(value)) }

    /// A batch's answer: each event's id and result, in order.
    static func results(_ ids: [LedgerID], _ results: [String]) -> JSONValue {
        .object(["results": .array(zip(ids, results).map { .object(["id": .string($0.hex), "result": .string($1)]) })])
    }

    static func account(_ a: Account) -> JSONValue {
        .object([
            "id": .string(a.id.hex), "ledger": .string(a.ledger.code), "code": number(Int64(a.code)),
            "name": .string(a.name), "owner": .string(a.owner),
            "flags": .array(AccountFlags.names.filter { a.flags.contains($0.0) }.map { .string($0.1) }),
            "debits_pending": number(a.debitsPending), "debits_posted": number(a.debitsPosted),
            "credits_pending": number(a.creditsPending), "credits_posted": number(a.creditsPosted),
            "timestamp": number(a.timestamp),
        ])
    }

    static func transfer(_ t: Transfer) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(t.id.hex), "ledger": .string(t.ledger.code), "code": number(Int64(t.code)),
            "debit_account_id": .string(t.debitAccountID.hex), "credit_account_id": .string(t.creditAccountID.hex),
            "amount": number(t.amount), "user_data": .string(t.userData), "timestamp": number(t.timestamp),
            "flags": .array(TransferFlags.names.filter { t.flags.contains($0.0) }.map { .string($0.1) }),
        ]
        if !t.pendingID.isZero { members["pending_id"] = .string(t.pendingID.hex) }
        if t.timeout > 0 { members["timeout"] = number(t.timeout) }
        if let state = t.state { members["pending_state"] = .string(state.rawValue) }
        return .object(members)
    }

    static func posting(_ p: Posting?) -> JSONValue {
        guard let p else { return .object(["posted": .bool(false), "reason": .string("not a succeeded payment")]) }
        return .object([
            "kind": .string(p.kind), "payment_id": .string(p.paymentID), "ledger": .string(p.ledger.code),
            "posted": .bool(p.isPosted),
            "transfers": .array(
                p.legs.map { leg in
                    .object([
                        "id": .string(leg.id.hex), "code": .string(leg.code.name), "debit": .string(leg.debit),
                        "credit": .string(leg.credit), "amount": number(leg.amount),
                        "result": .string(leg.result.rawValue),
                    ])
                }),
        ])
    }

    /// Stripe's balance object: `available`, `pending` and (ours) `reserved`, one entry per currency, lower-case
    /// currency codes as Stripe writes them.
    static func balance(_ balances: [MerchantBalance]) -> JSONValue {
        func list(_ pick: (MerchantBalance) -> Int64) -> JSONValue {
            .array(
                balances.map { .object(["amount": number(pick($0)), "currency": .string($0.currency.lowercased())]) })
        }
        return .object([
            "object": .string("balance"), "livemode": .bool(false), "available": list(\.available),
            "pending": list(\.pending), "reserved": list(\.reserved),
        ])
    }

    static func report(_ r: VerificationReport) -> JSONValue {
        var members: [String: JSONValue] = [
            "ledger": .string(r.ledger.code), "ok": .bool(r.ok), "entries": number(r.entries),
            "accounts": number(Int64(r.accounts)), "transfers": number(Int64(r.transfers)),
            "seals": number(Int64(r.seals)),
        ]
        if let seq = r.failureSeq { members["first_bad_seq"] = number(seq) }
        if let reason = r.failureReason { members["failure"] = .string(reason) }
        return .object(members)
    }
}
