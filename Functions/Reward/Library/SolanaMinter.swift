import SmartPayCore
import SmartPaySolana

/// Mints reward tokens as an SPL token on Solana: one legacy transaction per reward — a memo naming the reward, the
/// Associated Token Account program's idempotent create for the customer's account, then `MintToChecked` (amount,
/// 6 decimals) — signed by
/// the mint authority (a key from a file or the environment, never from an event, never logged).
///
/// Never twice: the transaction is signed first, its signature and blockhash recorded (`record`), then sent. A retry
/// with a recorded attempt asks `getSignatureStatuses` first: seen → wait for it; unseen and its blockhash still
/// valid → the same transaction again (ed25519 is deterministic: same message, same signature, so the node
/// deduplicates); unseen and expired → it can never land, so a new one is signed with a fresh blockhash.
public struct SolanaMinter: RewardMinter {
    public let rpc: SolanaRPC
    public let mint: SolanaPublicKey
    let authority: SolanaKeypair
    let wallets: @Sendable (String) async throws -> String?
    let confirmPolls: Int
    let confirmInterval: Duration

    public var name: String { "solana" }

    public init(
        rpc: SolanaRPC, mint: SolanaPublicKey, authority: SolanaKeypair,
        wallets: @escaping @Sendable (String) async throws -> String?, confirmPolls: Int = 40,
        confirmInterval: Duration = .milliseconds(250)
    ) {
        self.rpc = rpc
        self.mint = mint
        self.authority = authority
        self.wallets = wallets
        self.confirmPolls = confirmPolls
        self.confirmInterval = confirmInterval
    }

    func transaction(for reward: Reward, wallet: SolanaPublicKey, blockhash: String) throws(SolanaError)
        -> SolanaTransaction
    {
        let message = try SolanaMessage(
            feePayer: authority.publicKey,
            instructions: [
                // The memo names the reward: two rewards of one amount to one customer within one blockhash would
                // otherwise be the same transaction, and the node would keep only one.
                .memo("smartpay:reward:\(reward.id)"),
                .createAssociatedTokenAccountIdempotent(payer: authority.publicKey, owner: wallet, mint: mint),
                .mintToChecked(
                    mint: mint, destination: .associatedTokenAddress(owner: wallet, mint: mint),
                    authority: authority.publicKey, amount: UInt64(reward.amount), decimals: RewardRules.decimals),
            ], recentBlockhash: blockhash)
        return try SolanaTransaction(message: message, signers: [authority])
    }

    public func mint(_ reward: Reward, previous: MintAttempt?, record: @Sendable (MintAttempt) async throws -> Void)
        async throws -> MintOutcome
    {
        guard let text = try await wallets(reward.customerID) else {
            throw RewardError.noWallet(customerID: reward.customerID)
        }
        let wallet = try SolanaPublicKey(text)
        if let previous {
            if let status = try await rpc.signatureStatuses([previous.signature]).first ?? nil, !status.failed {
                return try await confirm(previous.signature)
            }
            if try await rpc.isBlockhashValid(previous.blockhash) {
                let again = try transaction(for: reward, wallet: wallet, blockhash: previous.blockhash)
                return try await send(again)
            }
        }
        for _ in 0..<3 {
            let (blockhash, _) = try await rpc.latestBlockhash()
            let fresh = try transaction(for: reward, wallet: wallet, blockhash: blockhash)
            try await record(MintAttempt(signature: fresh.id, blockhash: blockhash))
            do {
                return try await send(fresh)
            } catch SolanaError.rpc(_, let message) where message.contains("BlockhashNotFound") {
                continue  // expired between asking and sending: unseen for good, so a new one is safe
            }
        }
        throw SolanaError.unavailable("the node kept refusing fresh blockhashes")
    }

    func send(_ transaction: SolanaTransaction) async throws -> MintOutcome {
        do {
            _ = try await rpc.send(transaction)
        } catch SolanaError.rpc(_, let message) where message.contains("AlreadyProcessed") {
            // The same transaction landed before: nothing new was minted.
        }
        return try await confirm(transaction.id)
    }

    func confirm(_ signature: String) async throws -> MintOutcome {
        for poll in 0..<confirmPolls {
            if let status = try await rpc.signatureStatuses([signature]).first ?? nil {
                if status.failed { throw SolanaError.invalidTransaction("mint \(signature) failed on chain") }
                if status.commitment >= .confirmed { return .minted(signature: signature) }
            }
            if poll + 1 < confirmPolls { try await Task.sleep(for: confirmInterval) }
        }
        return .inFlight(signature: signature)
    }

    /// Clawing back on chain needs the customer's signature (a burn) or a delegate: not done; the ledger is debited
    /// by the service, and the tokens stay in the customer's wallet.
    public func clawBack(_ reward: Reward) async throws -> String? { nil }
}
