/// One instruction: a program, the accounts it touches, and its data.
public struct SolanaInstruction: Sendable, Equatable {
    public struct Account: Sendable, Equatable {
        public var key: SolanaPublicKey
        public var isSigner: Bool
        public var isWritable: Bool

        public init(_ key: SolanaPublicKey, signer: Bool = false, writable: Bool = false) {
            self.key = key
            self.isSigner = signer
            self.isWritable = writable
        }
    }

    public var programID: SolanaPublicKey
    public var accounts: [Account]
    public var data: [UInt8]

    public init(programID: SolanaPublicKey, accounts: [Account], data: [UInt8]) {
        self.programID = programID
        self.accounts = accounts
        self.data = data
    }

    /// The System Program's `Transfer`: index 2 (u32 LE), lamports (u64 LE); from signs and pays, to receives.
    /// Extra read-only accounts (a Solana Pay `reference`) ride along without changing what it does.
    public static func transfer(
        from: SolanaPublicKey, to: SolanaPublicKey, lamports: UInt64, references: [SolanaPublicKey] = []
    ) -> SolanaInstruction {
        SolanaInstruction(
            programID: .systemProgram,
            accounts: [Account(from, signer: true, writable: true), Account(to, writable: true)]
                + references.map { Account($0) },
            data: [2, 0, 0, 0] + littleEndian(lamports))
    }

    /// The Memo program's instruction: UTF-8 text in the transaction's log.
    public static func memo(_ text: String) -> SolanaInstruction {
        SolanaInstruction(programID: .memoProgram, accounts: [], data: Array(text.utf8))
    }

    static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}

/// A legacy transaction message, compiled as Solana documents it: the header (required signatures, read-only
/// signed, read-only unsigned), the account keys (writable signers with the fee payer first, read-only signers,
/// writable non-signers, read-only non-signers), the recent blockhash, and the instructions by account index, every
/// array prefixed with its compact-u16 length.
public struct SolanaMessage: Sendable, Equatable {
    public let header: (signatures: UInt8, readonlySigned: UInt8, readonlyUnsigned: UInt8)
    public let accountKeys: [SolanaPublicKey]
    public let recentBlockhash: [UInt8]
    public let instructions: [(program: UInt8, accounts: [UInt8], data: [UInt8])]

    public static func == (lhs: SolanaMessage, rhs: SolanaMessage) -> Bool { lhs.serialized() == rhs.serialized() }

    /// - Throws: `SolanaError.invalidTransaction` for a blockhash that is not 32 bytes or over 256 accounts.
    public init(feePayer: SolanaPublicKey, instructions list: [SolanaInstruction], recentBlockhash: String)
        throws(SolanaError)
    {
        guard let blockhash = Base58.decode(recentBlockhash), blockhash.count == 32 else {
            throw .invalidTransaction(
                "the recent blockhash \"\(recentBlockhash.prefix(64))\" is not 32 bytes of base58")
        }
        // Merge each key's roles, the fee payer first and a writable signer.
        var order: [SolanaPublicKey] = [feePayer]
        var roles: [SolanaPublicKey: (signer: Bool, writable: Bool)] = [feePayer: (true, true)]
        func note(_ key: SolanaPublicKey, signer: Bool, writable: Bool) {
            if let role = roles[key] {
                roles[key] = (role.signer || signer, role.writable || writable)
            } else {
                order.append(key)
                roles[key] = (signer, writable)
            }
        }
        for instruction in list {
            for account in instruction.accounts {
                note(account.key, signer: account.isSigner, writable: account.isWritable)
            }
            note(instruction.programID, signer: false, writable: false)
        }
        func rank(_ key: SolanaPublicKey) -> Int {
            let role = roles[key]!
            switch (role.signer, role.writable) {
            case (true, true): return 0
            case (true, false): return 1
            case (false, true): return 2
            case (false, false): return 3
            }
        }
        // A stable sort by rank keeps first-seen order within a class (the fee payer stays first).
        let keys = order.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }
            .map(\.element)
        guard keys.count <= 256 else { throw .invalidTransaction("\(keys.count) accounts; at most 256") }
        let signers = keys.filter { roles[$0]!.signer }
        header = (
            UInt8(signers.count), UInt8(signers.filter { !roles[$0]!.writable }.count),
            UInt8(keys.filter { !roles[$0]!.signer && !roles[$0]!.writable }.count)
        )
        accountKeys = keys
        self.recentBlockhash = blockhash
        var index: [SolanaPublicKey: UInt8] = [:]
        for (position, key) in keys.enumerated() { index[key] = UInt8(position) }
        instructions = list.map { instruction in
            (index[instruction.programID]!, instruction.accounts.map { index[$0.key]! }, instruction.data)
        }
    }

    public var signerKeys: ArraySlice<SolanaPublicKey> { accountKeys.prefix(Int(header.signatures)) }

    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = [header.signatures, header.readonlySigned, header.readonlyUnsigned]
        bytes += CompactU16.encode(accountKeys.count)
        for key in accountKeys { bytes += key.bytes }
        bytes += recentBlockhash
        bytes += CompactU16.encode(instructions.count)
        for instruction in instructions {
            bytes.append(instruction.program)
            bytes += CompactU16.encode(instruction.accounts.count) + instruction.accounts
            bytes += CompactU16.encode(instruction.data.count) + instruction.data
        }
        return bytes
    }
}

/// A signed legacy transaction: compact-u16 count of 64-byte ed25519 signatures (in the order of the message's
/// signer keys), then the message.
public struct SolanaTransaction: Sendable {
    public let message: SolanaMessage
    public let signatures: [[UInt8]]

    /// Signs with every required signer.
    /// - Throws: `SolanaError.invalidTransaction` when a required signer's key pair is missing.
    public init(message: SolanaMessage, signers: [SolanaKeypair]) throws(SolanaError) {
        let bytes = message.serialized()
        var signatures: [[UInt8]] = []
        for key in message.signerKeys {
            guard let signer = signers.first(where: { $0.publicKey == key }) else {
                throw .invalidTransaction("no key pair for the required signer \(key)")
            }
            signatures.append(try signer.sign(bytes))
        }
        self.message = message
        self.signatures = signatures
    }

    /// The first signature: the transaction's id, in base58.
    public var id: String { Base58.encode(signatures[0]) }

    public func serialized() -> [UInt8] {
        var bytes = CompactU16.encode(signatures.count)
        for signature in signatures { bytes += signature }
        return bytes + message.serialized()
    }
}

/// Solana's compact-u16 (shortvec): 7 bits per byte, low bits first, the high bit set while more follow.
public enum CompactU16 {
    public static func encode(_ value: Int) -> [UInt8] {
        precondition((0...0xFFFF).contains(value), "compact-u16 holds 0 to 65535")
        var rest = value
        var bytes: [UInt8] = []
        repeat {
            var byte = UInt8(rest & 0x7F)
            rest >>= 7
            if rest > 0 { byte |= 0x80 }
            bytes.append(byte)
        } while rest > 0
        return bytes
    }
}
