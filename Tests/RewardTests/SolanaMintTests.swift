import Foundation
import FunctionKit
import Logging
import RewardFunction
import SmartPayCore
import SmartPayHTTP
import SmartPayRedis
import SmartPaySolana
import Synchronization
import TestSupport
import Testing

struct Aborted: Error {}

@Suite("reward: minting an SPL token on LiteSVM, never twice", .serialized)
struct SolanaMintTests {
    let logger = Logger(label: "test")

    /// A reward service minting a fresh token on a LiteSVM sandbox, over a Redis of its own, with its store, minter
    /// and RPC client; customer c_7 has a wallet, whose associated token account is `account`.
    typealias Minting = (
        service: RewardService, store: RedisRewardStore, minter: SolanaMinter, rpc: SolanaRPC,
        account: SolanaPublicKey, token: TestMint
    )

    /// Runs `body` with a `Minting` whose minter polls for confirmation `polls` times, 50 ms apart.
    func withMinting(slotMilliseconds: Int = 50, polls: Int = 40, _ body: (Minting) async throws -> Void)
        async throws
    {
        try await RedisServer.with { redis in
            let sandbox = try await LocalSolana(slotMilliseconds: slotMilliseconds)
            defer { sandbox.stop() }
            let rpc = SolanaRPC(url: sandbox.url, http: HTTPClient())
            let token = try await TestMint(rpc: rpc)
            let store = RedisRewardStore(redis: RedisClient(configuration: redis.configuration))
            let minter = SolanaMinter(
                rpc: rpc, mint: token.mint.publicKey, authority: token.authority,
                wallets: { try await store.wallet(customerID: $0) }, confirmPolls: polls,
                confirmInterval: .milliseconds(50))
            let wallet = SolanaKeypair.generate().publicKey
            try await store.setWallet(customerID: "c_7", wallet: wallet.description)
            try await body(
                (
                    RewardService(store: store, minter: minter, rules: RewardRules()), store, minter, rpc,
                    .associatedTokenAddress(owner: wallet, mint: token.mint.publicKey), token
                ))
        }
    }

    @Test("a released reward is minted to the customer's associated account, created when missing; twice is harmless")
    func mints() async throws {
        try await withMinting { service, store, _, rpc, account, _ in
            _ = try await service.earn(try processed("pay_m1", amount: 2599), logger: logger)
            let first = try #require(try await service.release(paymentID: "pay_m1", reason: "settled", force: true))
            #expect(first.status == .released && first.mintedOn == "solana" && first.signature != nil)
            #expect(try await rpc.tokenBalance(account) == 25_990_000)
            _ = try await service.earn(try processed("pay_m2", amount: 1000), logger: logger)
            _ = try await service.release(paymentID: "pay_m2", reason: "settled", force: true)
            #expect(try await rpc.tokenBalance(account) == 35_990_000, "the existing account took the second mint")
            #expect(try await store.balance(customerID: "c_7").released == 35_990_000)
        }
    }

    @Test("a mint signed and recorded but never sent: resent as is while its blockhash lives, renewed after; one mint")
    func crashBeforeSend() async throws {
        try await withMinting { service, store, minter, rpc, account, _ in
            for (payment, expire) in [("pay_c1", false), ("pay_c2", true)] {
                let earned = try #require(try await service.earn(try processed(payment, amount: 1000), logger: logger))
                var reward = earned
                try reward.move(to: .releasing, reason: "test")
                reward = try await store.commit(
                    reward, expectedVersion: earned.version, balance: RewardBalance(released: 0, pending: 0),
                    events: [], later: nil)
                // The process dies right after recording the attempt: the transaction never reaches the node.
                let recorded = RecordedAttempt()
                await #expect(throws: Aborted.self) {
                    _ = try await minter.mint(reward, previous: nil) { attempt in
                        recorded.set(attempt)
                        throw Aborted()
                    }
                }
                let attempt = try #require(recorded.get())
                reward.signature = attempt.signature
                reward.mintBlockhash = attempt.blockhash
                reward = try await store.commit(
                    reward, expectedVersion: reward.version, balance: RewardBalance(released: 0, pending: 0),
                    events: [], later: nil)
                if expire { _ = try await rpc.call("sandbox_expireBlockhash", []) }
                let done = try #require(try await service.release(paymentID: payment, reason: "retry", force: true))
                #expect(done.status == .released)
                #expect((done.signature == attempt.signature) == !expire, "same transaction unless it expired")
            }
            #expect(try await rpc.tokenBalance(account) == 20_000_000, "two rewards of 10, each minted once")
        }
    }

    @Test("a mint sent but not yet confirmed stays releasing; the next look finds it instead of minting again")
    func inFlight() async throws {
        try await withMinting(slotMilliseconds: 1500, polls: 1) { _, store, minter, rpc, account, token in
            let impatient = RewardService(store: store, minter: minter, rules: RewardRules())
            _ = try await impatient.earn(try processed("pay_f", amount: 500), logger: logger)
            let sent = try #require(try await impatient.release(paymentID: "pay_f", reason: "settled", force: true))
            #expect(sent.status == .releasing && sent.signature != nil)
            let patient = SolanaMinter(
                rpc: rpc, mint: minter.mint, authority: token.authority,
                wallets: { try await store.wallet(customerID: $0) }, confirmPolls: 80,
                confirmInterval: .milliseconds(50))
            let done = try #require(
                try await RewardService(store: store, minter: patient, rules: RewardRules())
                    .release(paymentID: "pay_f", reason: "release due", force: false))
            #expect(done.status == .released && done.signature == sent.signature)
            #expect(try await rpc.tokenBalance(account) == 5_000_000)
        }
    }

    @Test("a customer without a wallet, or with one that is not an address, is refused with the reason")
    func badWallet() async throws {
        try await withMinting { service, store, _, _, _, _ in
            _ = try await service.earn(try processed("pay_w", amount: 500, customer: "c_8"), logger: logger)
            await #expect(throws: RewardError.noWallet(customerID: "c_8")) {
                _ = try await service.release(paymentID: "pay_w", reason: "settled", force: true)
            }
            try await store.setWallet(customerID: "c_8", wallet: "not-an-address")
            await #expect(throws: SolanaError.self) {
                _ = try await service.release(paymentID: "pay_w", reason: "settled", force: true)
            }
        }
    }
}

final class RecordedAttempt: Sendable {
    private let value = Mutex<MintAttempt?>(nil)
    func set(_ attempt: MintAttempt) { value.withLock { $0 = attempt } }
    func get() -> MintAttempt? { value.withLock { $0 } }
}
