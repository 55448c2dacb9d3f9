import Foundation
import Logging
import PayFunction
import SmartPayCore
import SmartPayHTTP
import SmartPaySolana
import TestSupport
import Testing

@Suite("Solana tokens: program-derived addresses, SPL mints and USDC pay-in on LiteSVM", .serialized)
struct SolanaTokenTests {
    @Test("associated token addresses and the on-curve check match Solana's (vectors from solders)")
    func derivation() throws {
        let wallet = try SolanaPublicKey("HQfAiT7odSA6z7TorH3RDenENkbmAKUtTbYSCGHYrYch")
        let usdc = try SolanaPublicKey("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
        #expect(
            SolanaPublicKey.associatedTokenAddress(owner: wallet, mint: usdc).description
                == "BprE4RZWwuShigtw83zgV8TSFyCHQs8VxA6t5GZGqhN")
        #expect(wallet.isOnCurve)
        let vectors: [(String, Bool)] = [
            ("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", false),
            ("4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a", true),
            ("dbc1b4c900ffe48d575b5da5c638040125f65db0fe3e24494b76ea986457d986", false),
            ("084fed08b978af4d7d196a7446a86b58009e636b611db16211b65a9aadff29c5", true),
            ("e52d9c508c502347344d8c07ad91cbd6068afc75ff6292f062a09ca381c89e71", false),
        ]
        for (hex, expected) in vectors {
            let bytes = stride(from: 0, to: 64, by: 2).map { index -> UInt8 in
                let start = hex.index(hex.startIndex, offsetBy: index)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
            }
            #expect(SolanaPublicKey(bytes: bytes).isOnCurve == expected, "\(hex)")
        }
        for _ in 0..<20 {
            #expect(SolanaKeypair.generate().publicKey.isOnCurve, "every real public key is on the curve")
        }
    }

    @Test("a mint made in Swift; MintToChecked to an associated account created idempotently (twice is harmless)")
    func mintTo() async throws {
        let sandbox = try await LocalSolana()
        defer { sandbox.stop() }
        let rpc = SolanaRPC(url: sandbox.url, http: HTTPClient())
        let token = try await TestMint(rpc: rpc)
        let owner = SolanaKeypair.generate().publicKey
        _ = try await token.mint(1_500_000, to: owner, rpc: rpc)
        _ = try await token.mint(250_000, to: owner, rpc: rpc)
        let account = SolanaPublicKey.associatedTokenAddress(owner: owner, mint: token.mint.publicKey)
        #expect(try await rpc.tokenBalance(account, .processed) == 1_750_000)
    }

    @Test("USD paid in USDC: the request names the mint; a TransferChecked with the reference confirms the payment")
    func usdcPayIn() async throws {
        try await RedisServer.with { redis in
            let sandbox = try await LocalSolana()
            defer { sandbox.stop() }
            let rpc = SolanaRPC(url: sandbox.url, http: HTTPClient())
            let token = try await TestMint(rpc: rpc)
            let recipient = SolanaKeypair.generate()
            let payer = SolanaKeypair.generate()
            _ = try await rpc.requestAirdrop(payer.publicKey, lamports: 1_000_000_000)
            _ = try await token.mint(0, to: recipient.publicKey, rpc: rpc)
            _ = try await token.mint(100_000_000, to: payer.publicKey, rpc: rpc)
            let gateway = SolanaPayGateway(
                recipient: recipient.publicKey, usdcMint: token.mint.publicKey, rpc: rpc,
                watchInterval: .milliseconds(50))
            let harness = Harness(redis: redis, stripes: [], others: [gateway])
            let answer = try await harness.pay(
                #"{"amount": 1250, "currency": "USD", "customer_id": "c_7", "merchant_id": "m_42", "payment_method": {"type": "crypto", "chain": "solana"}}"#
            )
            let action = try #require(answer.body["next_action"])
            #expect(action["spl_token"]?.stringValue == token.mint.publicKey.description)
            #expect(action["amount"]?.stringValue == "12.5")
            let request = try SolanaPayRequest(url: try #require(action["url"]?.stringValue))
            #expect(request.splToken == token.mint.publicKey)
            let id = try #require(answer.body["id"]?.stringValue)
            let signature = try await rpc.send(
                [
                    .transferChecked(
                        source: .associatedTokenAddress(owner: payer.publicKey, mint: token.mint.publicKey),
                        mint: token.mint.publicKey,
                        destination: .associatedTokenAddress(owner: recipient.publicKey, mint: token.mint.publicKey),
                        owner: payer.publicKey, amount: 12_500_000, decimals: 6, references: request.references)
                ], feePayer: payer)
            var payment = try #require(try await harness.store.load(id))
            for _ in 0..<200 where payment.status == .requiresAction {
                _ = try await harness.service.watch(
                    paymentID: id, sequence: payment.chain?.watch ?? 0, logger: Logger(label: "test"))
                try await Task.sleep(for: .milliseconds(50))
                payment = try #require(try await harness.store.load(id))
            }
            #expect(payment.status == .succeeded && payment.chain?.signature == signature)
            #expect(payment.chain?.mint == token.mint.publicKey.description && payment.chain?.amount == 12_500_000)
        }
    }
}
