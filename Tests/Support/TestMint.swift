import SmartPaySolana

/// A USDC-like mint (6 decimals) made on the sandbox by Swift-built transactions, with its authority.
public struct TestMint: Sendable {
    public let mint = SolanaKeypair.generate()
    public let authority = SolanaKeypair.generate()

    public init(rpc: SolanaRPC) async throws {
        _ = try await rpc.requestAirdrop(authority.publicKey, lamports: 10_000_000_000)
        let rent = try await rpc.minimumBalanceForRentExemption(82)
        _ = try await rpc.send(
            [
                .createAccount(
                    from: authority.publicKey, new: mint.publicKey, lamports: rent, space: 82, owner: .tokenProgram),
                .initializeMint(mint: mint.publicKey, decimals: 6, authority: authority.publicKey),
            ], feePayer: authority, signers: [mint])
    }

    /// Creates the owner's associated account (idempotently) and mints to it.
    public func mint(_ amount: UInt64, to owner: SolanaPublicKey, rpc: SolanaRPC) async throws -> String {
        try await rpc.send(
            [
                .createAssociatedTokenAccountIdempotent(payer: authority.publicKey, owner: owner, mint: mint.publicKey),
                .mintToChecked(
                    mint: mint.publicKey, destination: .associatedTokenAddress(owner: owner, mint: mint.publicKey),
                    authority: authority.publicKey, amount: amount, decimals: 6),
            ], feePayer: authority)
    }
}
