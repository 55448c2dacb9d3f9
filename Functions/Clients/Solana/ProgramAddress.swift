import Crypto

extension SolanaPublicKey {
    /// Whether the key is a point on ed25519 (a wallet's key can be; a program-derived address never is).
    public var isOnCurve: Bool { Ed25519Point.isOnCurve(bytes) }

    /// `find_program_address`: the first bump from 255 down whose SHA-256(seeds ‖ bump ‖ program ‖
    /// "ProgramDerivedAddress") is off the curve.
    /// - Throws: `SolanaError.invalidAddress` for more than 16 seeds or a seed over 32 bytes.
    public static func findProgramAddress(seeds: [[UInt8]], program: SolanaPublicKey) throws(SolanaError) -> (
        SolanaPublicKey, bump: UInt8
    ) {
        guard seeds.count < 16, seeds.allSatisfy({ $0.count <= 32 }) else {
            throw .invalidAddress("at most 15 seeds of at most 32 bytes each, plus the bump")
        }
        for bump in stride(from: 255, through: 0, by: -1) {
            var hasher = SHA256()
            for seed in seeds { hasher.update(data: seed) }
            hasher.update(data: [UInt8(bump)])
            hasher.update(data: program.bytes)
            hasher.update(data: Array("ProgramDerivedAddress".utf8))
            let candidate = Array(hasher.finalize())
            if !Ed25519Point.isOnCurve(candidate) { return (SolanaPublicKey(bytes: candidate), UInt8(bump)) }
        }
        throw .invalidAddress("no bump gives an address off the curve")
    }

    /// The associated token account of `owner` for `mint` under the classic token program.
    public static func associatedTokenAddress(owner: SolanaPublicKey, mint: SolanaPublicKey) -> SolanaPublicKey {
        // Three 32-byte seeds: the derivation cannot fail its preconditions, and a bump always exists in practice.
        (try? findProgramAddress(
            seeds: [owner.bytes, SolanaPublicKey.tokenProgram.bytes, mint.bytes], program: .associatedTokenProgram
        ).0)!
    }
}

extension SolanaInstruction {
    /// The Associated Token Account program's `CreateIdempotent` (data `[1]`): creates `owner`'s account for
    /// `mint` when missing, and does nothing when it exists.
    public static func createAssociatedTokenAccountIdempotent(
        payer: SolanaPublicKey, owner: SolanaPublicKey, mint: SolanaPublicKey
    ) -> SolanaInstruction {
        SolanaInstruction(
            programID: .associatedTokenProgram,
            accounts: [
                Account(payer, signer: true, writable: true),
                Account(.associatedTokenAddress(owner: owner, mint: mint), writable: true), Account(owner),
                Account(mint), Account(.systemProgram), Account(.tokenProgram),
            ], data: [1])
    }

    /// SPL Token `MintToChecked` (14): `[14, amount u64 LE, decimals]`; mint and destination writable, the mint
    /// authority signs.
    public static func mintToChecked(
        mint: SolanaPublicKey, destination: SolanaPublicKey, authority: SolanaPublicKey, amount: UInt64, decimals: UInt8
    ) -> SolanaInstruction {
        SolanaInstruction(
            programID: .tokenProgram,
            accounts: [
                Account(mint, writable: true), Account(destination, writable: true), Account(authority, signer: true),
            ],
            data: [14] + littleEndian(amount) + [decimals])
    }

    /// SPL Token `TransferChecked` (12): `[12, amount u64 LE, decimals]`; source and destination token accounts
    /// writable, the source's owner signs. Extra read-only accounts (a Solana Pay `reference`) ride along.
    public static func transferChecked(
        source: SolanaPublicKey, mint: SolanaPublicKey, destination: SolanaPublicKey, owner: SolanaPublicKey,
        amount: UInt64, decimals: UInt8, references: [SolanaPublicKey] = []
    ) -> SolanaInstruction {
        SolanaInstruction(
            programID: .tokenProgram,
            accounts: [
                Account(source, writable: true), Account(mint), Account(destination, writable: true),
                Account(owner, signer: true),
            ] + references.map { Account($0) },
            data: [12] + littleEndian(amount) + [decimals])
    }

    /// SPL Token `BurnChecked` (15): `[15, amount u64 LE, decimals]`; the account's owner signs.
    public static func burnChecked(
        account: SolanaPublicKey, mint: SolanaPublicKey, owner: SolanaPublicKey, amount: UInt64, decimals: UInt8
    ) -> SolanaInstruction {
        SolanaInstruction(
            programID: .tokenProgram,
            accounts: [Account(account, writable: true), Account(mint, writable: true), Account(owner, signer: true)],
            data: [15] + littleEndian(amount) + [decimals])
    }

    /// System Program `CreateAccount` (0): `[0,0,0,0, lamports u64, space u64, owner 32]`.
    public static func createAccount(
        from: SolanaPublicKey, new: SolanaPublicKey, lamports: UInt64, space: UInt64, owner: SolanaPublicKey
    ) -> SolanaInstruction {
        SolanaInstruction(
            programID: .systemProgram,
            accounts: [Account(from, signer: true, writable: true), Account(new, signer: true, writable: true)],
            data: [0, 0, 0, 0] + littleEndian(lamports) + littleEndian(space) + owner.bytes)
    }

    /// SPL Token `InitializeMint2` (20): `[20, decimals, mint authority 32, no freeze authority (0)]`.
    public static func initializeMint(mint: SolanaPublicKey, decimals: UInt8, authority: SolanaPublicKey)
        -> SolanaInstruction
    {
        SolanaInstruction(
            programID: .tokenProgram, accounts: [Account(mint, writable: true)],
            data: [20, decimals] + authority.bytes + [0])
    }
}
