import Foundation
import Logging
import PayFunction
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayHTTP
import SmartPayRedis
import SmartPaySolana
import TestSupport
import Testing

func crypto(_ lamports: Int64, customer: String = "c_7") -> String {
    #"{"amount": \#(lamports), "currency": "SOL", "customer_id": "\#(customer)", "merchant_id": "m_42", "payment_method": {"type": "crypto", "chain": "solana"}}"#
}

/// A funded recipient, a funded payer and a pay service with the Solana gateway, on a LiteSVM sandbox.
struct SolanaSetup {
    let rpc: SolanaRPC
    let recipient = SolanaKeypair.generate()
    let payer = SolanaKeypair.generate()
    let gateway: SolanaPayGateway

    init(_ sandbox: LocalSolana, window: Duration = .seconds(900)) async throws {
        rpc = SolanaRPC(url: sandbox.url, http: HTTPClient())
        gateway = SolanaPayGateway(
            recipient: recipient.publicKey, rpc: rpc, window: window, watchInterval: .milliseconds(50))
        _ = try await rpc.requestAirdrop(recipient.publicKey, lamports: 1_000_000_000)
        _ = try await rpc.requestAirdrop(payer.publicKey, lamports: 100_000_000_000)
    }

    /// Plays the bus: delivers the payment's current watch event until `done` or 20 s.
    func watch(_ harness: Harness, _ id: String, until done: (Payment) -> Bool) async throws -> Payment {
        for _ in 0..<400 {
            let payment = try #require(try await harness.store.load(id))
            if done(payment) { return payment }
            let sequence = try #require(payment.chain?.watch)
            _ = try await harness.service.watch(paymentID: id, sequence: sequence, logger: Logger(label: "test"))
            try await Task.sleep(for: .milliseconds(50))
        }
        return try #require(try await harness.store.load(id))
    }
}

@Suite("Solana: SmartPaySolana's encodings")
struct SolanaEncodingTests {
    @Test("base58, compact-u16 and Solana Pay amounts as specified")
    func encodings() throws {
        #expect(Base58.encode([UInt8](repeating: 0, count: 32)) == "11111111111111111111111111111111")
        #expect(Base58.encode(Array("Hello World!".utf8)) == "2NEpo7TZRRrLZSi2U")
        #expect(Base58.decode("2NEpo7TZRRrLZSi2U") == Array("Hello World!".utf8))
        #expect(Base58.decode("0OIl") == nil)
        #expect(SolanaPublicKey.tokenProgram.bytes.count == 32)
        #expect(throws: SolanaError.self) { try SolanaPublicKey("abc") }
        #expect(throws: SolanaError.self) { try SolanaPublicKey("not-base58-0") }
        #expect(CompactU16.encode(0) == [0] && CompactU16.encode(127) == [0x7F])
        #expect(CompactU16.encode(128) == [0x80, 0x01] && CompactU16.encode(16383) == [0xFF, 0x7F])
        #expect(CompactU16.encode(16384) == [0x80, 0x80, 0x01] && CompactU16.encode(65535) == [0xFF, 0xFF, 0x03])
        #expect(SolanaPay.decimal(50_000_000, decimals: 9) == "0.05" && SolanaPay.decimal(3, decimals: 0) == "3")
        #expect(SolanaPay.decimal(1_000_000_000, decimals: 9) == "1")
        #expect(SolanaPay.units("0.05", decimals: 9) == 50_000_000 && SolanaPay.units("1.5", decimals: 6) == 1_500_000)
        #expect(SolanaPay.units("0.0000000001", decimals: 9) == nil && SolanaPay.units("1e3", decimals: 9) == nil)
    }

    @Test("a message puts the fee payer first, then signers, writable, read-only accounts; header counts match")
    func messageLayout() throws {
        let payer = SolanaKeypair.generate()
        let to = SolanaKeypair.generate().publicKey
        let reference = SolanaKeypair.generate().publicKey
        let message = try SolanaMessage(
            feePayer: payer.publicKey,
            instructions: [.transfer(from: payer.publicKey, to: to, lamports: 5, references: [reference])],
            recentBlockhash: "11111111111111111111111111111111")
        #expect(message.accountKeys == [payer.publicKey, to, reference, .systemProgram])
        #expect(message.header.signatures == 1 && message.header.readonlySigned == 0)
        #expect(message.header.readonlyUnsigned == 2)
        let bytes = message.serialized()
        #expect(Array(bytes.prefix(4)) == [1, 0, 2, 4])
        #expect(Array(bytes.suffix(12)) == [2, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0], "transfer data: index 2, u64 LE")
        let transaction = try SolanaTransaction(message: message, signers: [payer])
        #expect(transaction.serialized().count == 1 + 64 + bytes.count)
        #expect(throws: SolanaError.self) {
            try SolanaTransaction(message: message, signers: [SolanaKeypair.generate()])
        }
        let restored = try SolanaKeypair(keygenJSON: payer.keygenJSON)
        #expect(restored.publicKey == payer.publicKey && !payer.description.contains(payer.keygenJSON))
        let url =
            "solana:\(to)?amount=0.05&reference=\(reference)&label=Shop&message=Order%201&memo=pay_1"
        let request = try SolanaPayRequest(url: url)
        #expect(request.recipient == to && request.references == [reference] && request.amount == "0.05")
        #expect(request.message == "Order 1" && request.memo == "pay_1")
        #expect(throws: SolanaError.self) { try SolanaPayRequest(url: "solana:\(to)?amount=-1") }
    }
}

@Suite("Solana pay-in against LiteSVM behind the JSON-RPC sandbox", .serialized)
struct SolanaPayTests {
    @Test("a transaction built and signed in Swift lands; a forged signature and an expired blockhash are refused")
    func transactionsLand() async throws {
        let sandbox = try await LocalSolana()
        defer { sandbox.stop() }
        let setup = try await SolanaSetup(sandbox)
        let to = SolanaKeypair.generate().publicKey
        let (blockhash, _) = try await setup.rpc.latestBlockhash()
        let message = try SolanaMessage(
            feePayer: setup.payer.publicKey,
            instructions: [.transfer(from: setup.payer.publicKey, to: to, lamports: 5_000_000)],
            recentBlockhash: blockhash)
        let transaction = try SolanaTransaction(message: message, signers: [setup.payer])
        // solders (an implementation independent of ours) parses the bytes and verifies the signature.
        let check = try await ProcessRunner.run(
            Executables.repositoryRoot.appendingPathComponent(".venv/bin/python"),
            arguments: [
                "-c",
                """
                import sys
                from solders.transaction import Transaction
                tx = Transaction.from_bytes(bytes.fromhex(sys.argv[1]))
                tx.verify()
                print(tx.signatures[0], tx.message.account_keys[0], len(tx.message.instructions))
                """,
                Hex.encode(transaction.serialized()),
            ])
        #expect(check.status == 0, "\(check.stderrText)")
        #expect(check.stdoutText == "\(transaction.id) \(setup.payer.publicKey) 1\n")
        #expect(try await setup.rpc.send(transaction) == transaction.id)
        #expect(try await setup.rpc.balance(to, .processed) == 5_000_000)

        // Someone else's key signing for the payer: the node's signature check refuses it.
        var forged = transaction.serialized()
        forged[10] ^= 0xFF
        do {
            _ = try await setup.rpc.call(
                "sendTransaction",
                [.string(Data(forged).base64EncodedString()), .object(["encoding": .string("base64")])])
            Issue.record("a forged signature was accepted")
        } catch {
            guard case .rpc = error else { throw error }
        }
        _ = try await setup.rpc.call("sandbox_expireBlockhash", [])
        let stale = try SolanaTransaction(
            message: try SolanaMessage(
                feePayer: setup.payer.publicKey,
                instructions: [.transfer(from: setup.payer.publicKey, to: to, lamports: 6_000_000)],
                recentBlockhash: blockhash), signers: [setup.payer])
        do {
            _ = try await setup.rpc.send(stale)
            Issue.record("an expired blockhash was accepted")
        } catch {
            #expect(error.description.contains("BlockhashNotFound"))
        }
    }

    @Test(
        "SOL pay-in: requires_action with a Solana Pay request, the transfer is detected and confirmed, the payment succeeds"
    )
    func payIn() async throws {
        try await RedisServer.with { redis in
            let sandbox = try await LocalSolana()
            defer { sandbox.stop() }
            let setup = try await SolanaSetup(sandbox)
            let harness = Harness(redis: redis, stripes: [], others: [setup.gateway])
            let answer = try await harness.pay(crypto(50_000_000))  // 0.05 SOL, $7.50: one confirmation
            #expect(answer.body["status"]?.stringValue == "requires_action", "\(answer.body)")
            let action = try #require(answer.body["next_action"])
            #expect(action["type"]?.stringValue == "solana_pay" && action["amount"]?.stringValue == "0.05")
            #expect(action["confirmation"]?.stringValue == "confirmed")
            let url = try #require(action["url"]?.stringValue)
            #expect(url.hasPrefix("solana:\(setup.recipient.publicKey)?amount=0.05&reference="))
            let id = try #require(answer.body["id"]?.stringValue)
            // The first look is on the bus already, due after the watch interval, written with the payment.
            let delayed = try await harness.redis.send(["ZRANGE", BusKeys.delayed, "0", "-1"]).array ?? []
            #expect(delayed.contains { $0.string?.contains(PayService.watchDetailType) == true })

            let signature = try await TestWallet.pay(url, rpc: setup.rpc, payer: setup.payer)
            let paid = try await setup.watch(harness, id) { $0.status != .requiresAction }
            #expect(paid.status == .succeeded)
            #expect(paid.chain?.signature == signature && paid.gatewayReference == signature)
            #expect(paid.chain?.steps.map(\.state).contains(.detected) == true)
            #expect(paid.chain?.state == .confirmed && paid.nextAction == nil)
            let events = try await harness.published().map { $0["detail-type"]?.stringValue }
            #expect(events.contains("payment.processed"))
            // A stale or repeated watch event does nothing now.
            #expect(try await harness.service.watch(paymentID: id, sequence: 1, logger: Logger(label: "t")) == nil)

            // 1 SOL is $150: eight blocks on top before it succeeds, confirming on the way.
            let larger = try await harness.pay(crypto(1_000_000_000))
            let largerID = try #require(larger.body["id"]?.stringValue)
            _ = try await TestWallet.pay(
                try #require(larger.body["next_action"]?["url"]?.stringValue), rpc: setup.rpc, payer: setup.payer)
            let deep = try await setup.watch(harness, largerID) { $0.status != .requiresAction }
            #expect(deep.status == .succeeded && deep.chain?.required == .confirmations(8))
            #expect(deep.chain?.steps.map(\.state).contains(.confirming) == true)
            #expect((deep.chain?.confirmations ?? 0) >= 8)
        }
    }

    @Test("a larger amount waits for more blocks (confirming); a dropped transfer goes back to awaiting")
    func depthAndDrop() async throws {
        try await RedisServer.with { redis in
            let sandbox = try await LocalSolana(slotMilliseconds: 200)
            defer { sandbox.stop() }
            let setup = try await SolanaSetup(sandbox)
            let harness = Harness(redis: redis, stripes: [], others: [setup.gateway])
            // 10 SOL at $150 is $1,500: sixteen confirmations.
            let answer = try await harness.pay(crypto(10_000_000_000))
            #expect(answer.body["next_action"]?["confirmation"]?.stringValue == "16 confirmations")
            let id = try #require(answer.body["id"]?.stringValue)
            let url = try #require(answer.body["next_action"]?["url"]?.stringValue)
            let signature = try await TestWallet.pay(url, rpc: setup.rpc, payer: setup.payer)
            let confirming = try await setup.watch(harness, id) { $0.chain?.state == .confirming }
            #expect(confirming.status == .requiresAction && confirming.chain?.signature == signature)

            _ = try await setup.rpc.call("sandbox_dropTransaction", [.string(signature)])
            let dropped = try await setup.watch(harness, id) { $0.chain?.state == .awaiting }
            #expect(dropped.chain?.signature == nil && dropped.status == .requiresAction)
            #expect(dropped.chain?.steps.last?.note.contains("dropped") == true)
        }
    }

    @Test("a transfer of too little is ignored, and a payment with no valid transfer expires and is canceled")
    func wrongAmountAndExpiry() async throws {
        try await RedisServer.with { redis in
            let sandbox = try await LocalSolana()
            defer { sandbox.stop() }
            let setup = try await SolanaSetup(sandbox, window: .seconds(2))
            let harness = Harness(redis: redis, stripes: [], others: [setup.gateway])
            let answer = try await harness.pay(crypto(50_000_000))
            let id = try #require(answer.body["id"]?.stringValue)
            let url = try #require(answer.body["next_action"]?["url"]?.stringValue)
            let short = try await TestWallet.pay(url, rpc: setup.rpc, payer: setup.payer, lamports: 40_000_000)
            let ended = try await setup.watch(harness, id) { $0.status != .requiresAction }
            #expect(ended.status == .canceled && ended.chain?.state == .expired)
            #expect(ended.chain?.rejected == [short])
            let events = try await harness.published().map { $0["detail-type"]?.stringValue }
            #expect(events.contains("payment.canceled"))
        }
    }
}
