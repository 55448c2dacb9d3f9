import SmartPaySolana

/// The customer's wallet in the tests: reads a Solana Pay transfer request and sends the transfer, built and signed
/// by SmartPaySolana (the node checks the signature and the blockhash).
public enum TestWallet {
    /// - Parameter lamports: another amount than the request's (to test a short payment).
    /// - Returns: the transaction's signature.
    public static func pay(_ url: String, rpc: SolanaRPC, payer: SolanaKeypair, lamports: Int64? = nil) async throws
        -> String
    {
        let request = try SolanaPayRequest(url: url)
        guard let amount = request.amount, let asked = SolanaPay.units(amount, decimals: 9) else {
            throw TestSupportError("the transfer request has no SOL amount")
        }
        let (blockhash, _) = try await rpc.latestBlockhash()
        let message = try SolanaMessage(
            feePayer: payer.publicKey,
            instructions: [
                .transfer(
                    from: payer.publicKey, to: request.recipient, lamports: UInt64(lamports ?? asked),
                    references: request.references)
            ], recentBlockhash: blockhash)
        return try await rpc.send(SolanaTransaction(message: message, signers: [payer]))
    }
}
