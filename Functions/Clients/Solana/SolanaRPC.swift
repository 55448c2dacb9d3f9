import Foundation
import SmartPayCore
import SmartPayHTTP

/// A Solana node's JSON-RPC 2.0 API over the libcurl client: the few methods payments and rewards need.
public struct SolanaRPC: Sendable {
    public enum Commitment: String, Sendable, Comparable {
        case processed, confirmed, finalized

        public static func < (lhs: Commitment, rhs: Commitment) -> Bool { lhs.rank < rhs.rank }
        var rank: Int {
            switch self {
            case .processed: 0
            case .confirmed: 1
            case .finalized: 2
            }
        }
    }

    /// `getSignatureStatuses`' answer for one signature.
    public struct SignatureStatus: Sendable, Equatable {
        public var slot: UInt64
        /// Blocks on top of it; nil once finalized (as the node reports it).
        public var confirmations: Int?
        public var commitment: Commitment
        public var failed: Bool
    }

    public let url: String
    let http: HTTPClient
    let timeout: Duration

    public init(url: String, http: HTTPClient, timeout: Duration = .seconds(10)) {
        self.url = url
        self.http = http
        self.timeout = timeout
    }

    /// One call; the `result`, or the node's error.
    public func call(_ method: String, _ params: [JSONValue]) async throws(SolanaError) -> JSONValue {
        let request: JSONValue = .object([
            "jsonrpc": .string("2.0"), "id": .number("1"), "method": .string(method), "params": .array(params),
        ])
        let response: HTTPClientResponse
        do {
            response = try await http.execute(
                HTTPClientRequest(
                    method: "POST", url: url, headers: [("Content-Type", "application/json")],
                    body: request.serialized(), timeout: timeout))
        } catch {
            throw .unavailable("\(method): \(error.message)")
        }
        guard let json = try? JSONParser().parse(response.body) else {
            throw .unavailable("\(method): HTTP \(response.status), not JSON")
        }
        if let error = json["error"], !error.isNull {
            throw .rpc(
                code: Int(error["code"]?.numberText ?? "") ?? 0, message: error["message"]?.stringValue ?? "no message")
        }
        guard response.status == 200, let result = json["result"] else {
            throw .unavailable("\(method): HTTP \(response.status) without a result")
        }
        return result
    }

    public func latestBlockhash(_ commitment: Commitment = .confirmed) async throws(SolanaError) -> (
        blockhash: String, lastValidBlockHeight: UInt64
    ) {
        let result = try await call("getLatestBlockhash", [.object(["commitment": .string(commitment.rawValue)])])
        guard let hash = result["value"]?["blockhash"]?.stringValue,
            let height = result["value"]?["lastValidBlockHeight"]?.numberText.flatMap(UInt64.init)
        else { throw .unavailable("getLatestBlockhash: no blockhash in the answer") }
        return (hash, height)
    }

    /// Sends a signed transaction (base64); the node's preflight runs at `confirmed`.
    public func send(_ transaction: SolanaTransaction) async throws(SolanaError) -> String {
        let encoded = Data(transaction.serialized()).base64EncodedString()
        let result = try await call(
            "sendTransaction",
            [.string(encoded), .object(["encoding": .string("base64"), "preflightCommitment": .string("confirmed")])])
        guard let signature = result.stringValue else { throw .unavailable("sendTransaction: no signature") }
        return signature
    }

    public func balance(_ account: SolanaPublicKey, _ commitment: Commitment = .confirmed) async throws(SolanaError)
        -> UInt64
    {
        let result = try await call(
            "getBalance", [.string(account.description), .object(["commitment": .string(commitment.rawValue)])])
        guard let value = result["value"]?.numberText.flatMap(UInt64.init) else {
            throw .unavailable("getBalance: no value")
        }
        return value
    }

    /// Whether a transaction signed with `blockhash` can still land.
    public func isBlockhashValid(_ blockhash: String) async throws(SolanaError) -> Bool {
        let result = try await call(
            "isBlockhashValid", [.string(blockhash), .object(["commitment": .string(Commitment.confirmed.rawValue)])])
        guard case .bool(let valid)? = result["value"] else { throw .unavailable("isBlockhashValid: no value") }
        return valid
    }

    /// A token account's balance in base units.
    public func tokenBalance(_ account: SolanaPublicKey, _ commitment: Commitment = .confirmed)
        async throws(SolanaError) -> UInt64
    {
        let result = try await call(
            "getTokenAccountBalance",
            [.string(account.description), .object(["commitment": .string(commitment.rawValue)])])
        guard let value = result["value"]?["amount"]?.stringValue.flatMap(UInt64.init) else {
            throw .unavailable("getTokenAccountBalance: no amount")
        }
        return value
    }

    public func minimumBalanceForRentExemption(_ space: Int) async throws(SolanaError) -> UInt64 {
        let result = try await call("getMinimumBalanceForRentExemption", [.number(String(space))])
        guard let value = result.numberText.flatMap(UInt64.init) else {
            throw .unavailable("getMinimumBalanceForRentExemption: not a number")
        }
        return value
    }

    /// Builds, signs and sends one transaction with a fresh blockhash.
    public func send(_ instructions: [SolanaInstruction], feePayer: SolanaKeypair, signers: [SolanaKeypair] = [])
        async throws(SolanaError) -> String
    {
        let (blockhash, _) = try await latestBlockhash()
        let message = try SolanaMessage(
            feePayer: feePayer.publicKey, instructions: instructions, recentBlockhash: blockhash)
        return try await send(SolanaTransaction(message: message, signers: [feePayer] + signers))
    }

    public func requestAirdrop(_ account: SolanaPublicKey, lamports: UInt64) async throws(SolanaError) -> String {
        let result = try await call("requestAirdrop", [.string(account.description), .number(String(lamports))])
        guard let signature = result.stringValue else { throw .unavailable("requestAirdrop: no signature") }
        return signature
    }

    /// nil for a signature the node does not know (never landed, or dropped).
    public func signatureStatuses(_ signatures: [String]) async throws(SolanaError) -> [SignatureStatus?] {
        let result = try await call(
            "getSignatureStatuses",
            [.array(signatures.map(JSONValue.string)), .object(["searchTransactionHistory": .bool(true)])])
        guard case .array(let items)? = result["value"] else { throw .unavailable("getSignatureStatuses: no value") }
        return items.map { item in
            guard case .object = item, let slot = item["slot"]?.numberText.flatMap(UInt64.init) else { return nil }
            let commitment = item["confirmationStatus"]?.stringValue.flatMap(Commitment.init) ?? .processed
            return SignatureStatus(
                slot: slot, confirmations: item["confirmations"]?.numberText.flatMap(Int.init),
                commitment: commitment, failed: !(item["err"]?.isNull ?? true))
        }
    }

    /// Signatures of transactions that touch `address`, newest first (at `confirmed` or `finalized`, as the API
    /// allows).
    public func signatures(for address: SolanaPublicKey, limit: Int = 20, _ commitment: Commitment = .confirmed)
        async throws(SolanaError) -> [(signature: String, failed: Bool)]
    {
        let result = try await call(
            "getSignaturesForAddress",
            [
                .string(address.description),
                .object(["limit": .number(String(limit)), "commitment": .string(commitment.rawValue)]),
            ])
        guard case .array(let items) = result else { throw .unavailable("getSignaturesForAddress: not a list") }
        return items.compactMap { item in
            item["signature"]?.stringValue.map { ($0, !(item["err"]?.isNull ?? true)) }
        }
    }

    /// The transaction with its meta (`json` encoding), or nil when the node has none at that commitment.
    public func transaction(_ signature: String, _ commitment: Commitment = .confirmed) async throws(SolanaError)
        -> JSONValue?
    {
        let result = try await call(
            "getTransaction",
            [
                .string(signature),
                .object([
                    "encoding": .string("json"), "commitment": .string(commitment.rawValue),
                    "maxSupportedTransactionVersion": .number("0"),
                ]),
            ])
        return result.isNull ? nil : result
    }
}
