import Foundation
import SmartPayCore
import SmartPayEvents
import SmartPayHTTP
import SmartPayRedis
import SmartPayRuntime
import SmartPaySolana
import TestSupport
import Testing

@Suite("the pay function under smartpay serve, offline: the gateway sandboxes started by the runtime", .serialized)
struct PayServeTests {
    /// An example event of `events/pay/`, as text.
    func example(_ file: String) throws -> String {
        String(
            decoding: try Data(contentsOf: Executables.repositoryRoot.appendingPathComponent("events/pay/\(file)")),
            as: UTF8.self)
    }

    func request(
        _ platform: ServedPlatform, _ method: String, _ path: String, token: String, body: String? = nil,
        headers: [(name: String, value: String)] = []
    ) async throws -> HTTPClientResponse {
        try await platform.http.execute(
            HTTPClientRequest(
                method: method, url: platform.api + path,
                headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(token)")] + headers,
                body: body.map { Array($0.utf8) }, timeout: .seconds(30)))
    }

    @Test(
        "events/pay pays end to end on Stripe, Amazon Pay and Solana: fraud and route invoked, the sandboxes charged, the events on the bus; reads, refunds and errors"
    )
    func endToEnd() async throws {
        let platform = try await ServedPlatform(template: "../../infra/template.yaml")
        let merchant = try await platform.token([
            "--sub", "m_42", "--role", "merchant", "--scopes", "payments:write,payments:read,payments:refund",
        ])
        let customer = try await platform.token(["--sub", "c_7", "--role", "customer", "--scopes", "payments:read"])
        let stranger = try await platform.token(["--sub", "c_99", "--role", "customer", "--scopes", "payments:read"])
        let card = try example("card.json")

        let paid = try await request(platform, "POST", "/pay", token: merchant, body: card)
        let body = String(decoding: paid.body, as: UTF8.self)
        #expect(paid.status == 201, "\(body)")
        #expect(json(paid)["status"] as? String == "succeeded", "\(body)")
        #expect(json(paid)["gateway"] as? String == "stripe")
        #expect(json(paid)["fee"] as? Int == 105 && json(paid)["net"] as? Int == 2494)
        #expect((json(paid)["risk"] as? [String: Any])?["tier"] as? String != nil, "fraud was asked")
        #expect((json(paid)["decision_id"] as? String)?.hasPrefix("rd_") == true, "route was asked")
        let id = try #require(json(paid)["id"] as? String)

        let again = try await request(platform, "POST", "/pay", token: merchant, body: card)
        #expect(again.header("idempotent-replayed") == "true" && json(again)["id"] as? String == id)

        let mine = try await request(platform, "GET", "/payments/\(id)", token: customer)
        #expect(mine.status == 200 && json(mine)["fee"] == nil && json(mine)["amount"] as? Int == 2599)
        let theirs = try await request(platform, "GET", "/payments/\(id)", token: stranger)
        #expect(theirs.status == 404)
        let list = try await request(platform, "GET", "/payments?limit=5", token: merchant)
        #expect((json(list)["data"] as? [[String: Any]])?.first?["id"] as? String == id)

        let refund = try await request(
            platform, "POST", "/payments/\(id)/refund", token: merchant, body: #"{"amount": 599}"#)
        #expect(
            json(refund)["status"] as? String == "partially_refunded", "\(String(decoding: refund.body, as: UTF8.self))"
        )
        let tooMuch = try await request(
            platform, "POST", "/payments/\(id)/refund", token: merchant, body: #"{"amount": 2001}"#)
        #expect(tooMuch.status == 422 && (json(tooMuch)["error"] as? [String: Any])?["field"] as? String == "amount")

        for (file, field) in [
            ("invalid-float-amount.json", "amount"), ("invalid-card-number.json", "payment_method.number"),
            ("invalid-method.json", "payment_method.type"), ("invalid-currency.json", "currency"),
        ] {
            let refused = try await request(platform, "POST", "/pay", token: merchant, body: try example(file))
            #expect([400, 422].contains(refused.status), "\(file)")
            #expect((json(refused)["error"] as? [String: Any])?["field"] as? String == field, "\(file)")
        }
        // A misspelt field beside the right one is refused by name (Stripe's parameter_unknown), not ignored.
        let misspelt = try await request(
            platform, "POST", "/pay", token: merchant,
            body: card.replacingOccurrences(of: #""amount":"#, with: #""amuont": 5, "amount":"#))
        #expect(misspelt.status == 400, "\(String(decoding: misspelt.body, as: UTF8.self))")
        #expect((json(misspelt)["error"] as? [String: Any])?["field"] as? String == "amuont")
        let declined = try await request(
            platform, "POST", "/pay", token: merchant,
            body: try example("card-declined.json"))
        #expect(json(declined)["status"] as? String == "failed")
        #expect((json(declined)["failure"] as? [String: Any])?["code"] as? String == "card_declined")

        // Amazon Pay through its sandbox, which serve started with a fresh key pair and which checks every signature.
        let amazon = try await request(
            platform, "POST", "/pay", token: merchant,
            body: try example("wallet-amazon-pay.json"))
        #expect(json(amazon)["status"] as? String == "succeeded", "\(String(decoding: amazon.body, as: UTF8.self))")
        #expect(json(amazon)["gateway"] as? String == "amazon_pay")

        // Reward: the Amazon Pay payment (42.00 USD) earns 42 tokens, pending until settlement.completed releases
        // and mints them to the ledger; a customer reads only their own balance.
        let amazonID = try #require(json(amazon)["id"] as? String)
        let rewardsReader = try await platform.token(["--sub", "c_7", "--role", "customer", "--scopes", "rewards:read"])
        let otherReader = try await platform.token(["--sub", "c_99", "--role", "customer", "--scopes", "rewards:read"])
        func rewards() async throws -> [String: Any] {
            json(try await request(platform, "GET", "/rewards/c_7", token: rewardsReader))
        }
        func amount(_ balance: [String: Any], _ part: String) -> Int? {
            (balance[part] as? [String: Any])?["amount"] as? Int
        }
        var balance: [String: Any] = [:]
        for _ in 0..<100 {
            balance = try await rewards()
            if (amount(balance, "pending") ?? 0) >= 42_000_000 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect((amount(balance, "pending") ?? 0) >= 42_000_000, "\(balance)")
        #expect(try await request(platform, "GET", "/rewards/c_7", token: otherReader).status == 404)
        let bus = RedisEventPublisher(
            redis: try RedisClient(url: try #require(RuntimeState.read(from: platform.state.path)?.redisURL)))
        _ = try await bus.publish(
            OutgoingEvent(
                source: "smartpay.settlement", detailType: "settlement.completed",
                detail: .object(["payment_id": .string(amazonID)])))
        for _ in 0..<100 {
            balance = try await rewards()
            if (amount(balance, "released") ?? 0) >= 42_000_000 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(amount(balance, "released") == 42_000_000, "\(balance)")
        #expect((balance["released"] as? [String: Any])?["display"] as? String == "42")

        // Rewards pay for a purchase: 10.00 USD takes 10 tokens; 40.00 more is declined (32 left); a refund gives back.
        let redeemed = try await request(platform, "POST", "/pay", token: merchant, body: try example("rewards.json"))
        #expect(json(redeemed)["status"] as? String == "succeeded", "\(String(decoding: redeemed.body, as: UTF8.self))")
        #expect(json(redeemed)["gateway"] as? String == "rewards")
        #expect(amount(try await rewards(), "released") == 32_000_000)
        let tooMuchRewards = try await request(
            platform, "POST", "/pay", token: merchant,
            body:
                #"{"amount": 4000, "currency": "USD", "customer_id": "c_7", "merchant_id": "m_42", "payment_method": {"type": "rewards"}}"#
        )
        #expect(json(tooMuchRewards)["status"] as? String == "failed")
        #expect((json(tooMuchRewards)["failure"] as? [String: Any])?["code"] as? String == "insufficient_rewards")
        let redeemedID = try #require(json(redeemed)["id"] as? String)
        let givenBack = try await request(
            platform, "POST", "/payments/\(redeemedID)/refund", token: merchant, body: #"{"amount": 400}"#)
        #expect(json(givenBack)["status"] as? String == "partially_refunded")
        #expect(amount(try await rewards(), "released") == 36_000_000)

        // Solana: the transfer request, a wallet pays it at serve's LiteSVM node, and the watcher (delayed events
        // on the bus, delivered to pay) sees it confirmed.
        let crypto = try await request(
            platform, "POST", "/pay", token: merchant,
            body: try example("crypto-solana.json"))
        #expect(
            json(crypto)["status"] as? String == "requires_action", "\(String(decoding: crypto.body, as: UTF8.self))")
        let transfer = try #require((json(crypto)["next_action"] as? [String: Any])?["url"] as? String)
        let cryptoID = try #require(json(crypto)["id"] as? String)
        let node = try #require(RuntimeState.read(from: platform.state.path)?.gateways["solana"])
        let rpc = SolanaRPC(url: node, http: HTTPClient())
        let wallet = SolanaKeypair.generate()
        _ = try await rpc.requestAirdrop(wallet.publicKey, lamports: 1_000_000_000)
        let signature = try await TestWallet.pay(transfer, rpc: rpc, payer: wallet)
        var settled: [String: Any] = [:]
        for _ in 0..<150 {
            settled = json(try await request(platform, "GET", "/payments/\(cryptoID)", token: merchant))
            if settled["status"] as? String != "requires_action" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(settled["status"] as? String == "succeeded", "\(settled)")
        #expect((settled["onchain"] as? [String: Any])?["signature"] as? String == signature)

        // The outbox's events went through the bus: route heard the outcome (its decision log has it), and the
        // archive holds payment.processed and payment.refunded.
        let url = try #require(RuntimeState.read(from: platform.state.path)?.redisURL)
        let redis = try RedisClient(url: url)
        var learned = false
        for _ in 0..<200 where !learned {
            let log = try await redis.send("XRANGE", "route:log", "-", "+").array ?? []
            learned = log.contains { ($0.array?.last?.array ?? []).compactMap(\.string).first == "outcome" }
            if !learned { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(learned, "payment.processed reached route through the bus")
        let archive = try await redis.send("XRANGE", "smartpay:bus:default:archive", "-", "+")
        let published = (archive.array ?? []).flatMap { $0.array?.last?.array ?? [] }.compactMap(\.string)
        #expect(published.contains { $0.contains("payment.processed") && $0.contains(id) })
        #expect(published.contains { $0.contains("payment.refunded") && $0.contains(id) })
        #expect(try await platform.stop() == 0)
    }
}
