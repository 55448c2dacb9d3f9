import SmartPaySolana

/// Transactions built and signed per second in Swift (issue 9's first figure): a reward mint's shape — create the
/// associated account idempotently and MintToChecked, the ATA derived each time — compiled, signed with ed25519 and
/// serialized; and the derivation and the signing alone.
func solanaSign(count: Int) throws {
    let authority = SolanaKeypair.generate()
    let mint = SolanaKeypair.generate().publicKey
    let owners = (0..<64).map { _ in SolanaKeypair.generate().publicKey }
    let blockhash = Base58.encode((0..<32).map { UInt8($0) })
    var bytes = 0

    var clock = ContinuousClock.now
    for index in 0..<count {
        let owner = owners[index % owners.count]
        let message = try SolanaMessage(
            feePayer: authority.publicKey,
            instructions: [
                .createAssociatedTokenAccountIdempotent(payer: authority.publicKey, owner: owner, mint: mint),
                .mintToChecked(
                    mint: mint, destination: .associatedTokenAddress(owner: owner, mint: mint),
                    authority: authority.publicKey, amount: UInt64(index + 1), decimals: 6),
            ], recentBlockhash: blockhash)
        bytes &+= try SolanaTransaction(message: message, signers: [authority]).serialized().count
    }
    report("solana_mint_tx_build_sign", operations: count, elapsed: ContinuousClock.now - clock)

    clock = ContinuousClock.now
    for index in 0..<count {
        bytes &+=
            SolanaPublicKey.associatedTokenAddress(owner: owners[index % owners.count], mint: mint).bytes[0] == 0
            ? 1 : 0
    }
    report("solana_ata_derive", operations: count, elapsed: ContinuousClock.now - clock)

    let payload = [UInt8](repeating: 7, count: 250)
    clock = ContinuousClock.now
    for _ in 0..<count { bytes &+= try authority.sign(payload).count }
    report("solana_ed25519_sign_250B", operations: count, elapsed: ContinuousClock.now - clock)
    if bytes == 42 { print("") }  // keeps the work observable
}
