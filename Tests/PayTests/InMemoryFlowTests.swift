import Foundation
import FunctionKit
import Logging
import PayFunction
import SmartPayContracts
import SmartPayCore
import Synchronization
import Testing

/// A gateway that answers from a script, in process: what each call returns, and how often it was called.
final class ScriptedGateway: PaymentGateway {
    let name: String
    private let script: Mutex<[Result<ChargeResult, GatewayError>]>
    private let calls = Mutex(0)

    init(_ name: String, _ script: [Result<ChargeResult, GatewayError>]) {
        self.name = name
        self.script = Mutex(script)
    }

    var charges: Int { calls.withLock { $0 } }

    func accepts(_ method: PaymentMethodDetails, currency: Currency) -> Bool { method.type == .card }

    func charge(_ charge: ChargeRequest) async throws(GatewayError) -> ChargeResult {
        calls.withLock { $0 += 1 }
        let next = script.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        return try next.get()
    }

    func refund(reference: String, amount: Money, idempotencyKey: String) async throws(GatewayError) -> String {
        "re_\(reference)"
    }

    func cancel(reference: String, idempotencyKey: String) async throws(GatewayError) {}
}

/// The flow on the in-memory store with scripted gateways: no Redis, no sandboxes, milliseconds per test.
@Suite("the payment flow in memory")
struct InMemoryFlowTests {
    static func service(
        _ gateways: [ScriptedGateway], store: InMemoryPaymentStore, risk: FixedRisk = FixedRisk()
    ) -> PayService {
        PayService(
            store: store, gateways: GatewayRegistry(gateways), risk: risk,
            router: FixedRouter(order: gateways.map(\.name)))
    }

    static func pay(_ service: PayService, _ text: String, key: String? = nil) async throws -> PayAnswer {
        try await service.pay(
            try PaymentRequest(json: try JSONParser().parse(Array(text.utf8)), identity: nil, headerKey: key),
            caller: Caller(audience: .merchant), requestID: UUID().uuidString, logger: Logger(label: "test"))
    }

    static func processed(_ store: InMemoryPaymentStore) throws -> [PaymentProcessed] {
        try store.published.filter { $0.detailType == PaymentProcessed.detailType }.map {
            try JSONValueDecoder().decode(PaymentProcessed.self, from: $0.detail)
        }
    }

    @Test("a charge succeeds: the payment, its fee and net, and payment.processed in the contract's shape")
    func succeeds() async throws {
        let store = InMemoryPaymentStore()
        let stripe = ScriptedGateway("stripe", [.success(.succeeded(reference: "pi_1"))])
        let answer = try await Self.pay(Self.service([stripe], store: store), card(2000))
        #expect(answer.status == 201 && answer.body["status"] == "succeeded")
        let events = try Self.processed(store)
        #expect(events.count == 1 && events[0].fee == 88 && events[0].net == 1912 && events[0].gateway == "stripe")
        #expect(events[0].decisionID?.hasPrefix("rd_test_") == true && stripe.charges == 1)
    }

    @Test("a processor error fails over to the next gateway; a decline does not")
    func failover() async throws {
        let store = InMemoryPaymentStore()
        let down = ScriptedGateway("a", [.failure(GatewayError(.processorError, gateway: "a", message: "503"))])
        let up = ScriptedGateway("b", [.success(.succeeded(reference: "ch_1"))])
        let paid = try await Self.pay(Self.service([down, up], store: store), card())
        #expect(paid.body["gateway"] == "b" && down.charges == 1 && up.charges == 1)

        let declining = ScriptedGateway(
            "a", [.success(.declined(reference: nil, code: "card_declined", message: "declined"))])
        let spare = ScriptedGateway("b", [.success(.succeeded(reference: "ch_2"))])
        let declined = try await Self.pay(Self.service([declining, spare], store: store), card())
        #expect(declined.body["status"] == "failed" && spare.charges == 0)

        // A request the gateway refuses (a bad token) is not the processor's fault: it ends the attempts too.
        let refusing = ScriptedGateway(
            "a", [.failure(GatewayError(.invalidRequest, gateway: "a", code: "resource_missing", message: "no pm"))])
        let untouched = ScriptedGateway("b", [.success(.succeeded(reference: "ch_3"))])
        let refused = try await Self.pay(Self.service([refusing, untouched], store: store), card())
        #expect(refused.body["failure"]?["code"] == "resource_missing" && untouched.charges == 0)
    }

    @Test("one idempotency key charges once; other parameters under it are refused naming the difference")
    func idempotency() async throws {
        let store = InMemoryPaymentStore()
        let stripe = ScriptedGateway("stripe", [.success(.succeeded(reference: "pi_1"))])
        let service = Self.service([stripe], store: store)
        let first = try await Self.pay(service, card(), key: "order-1")
        let again = try await Self.pay(service, card(), key: "order-1")
        #expect(again.replayed && again.body == first.body && stripe.charges == 1)
        do {
            _ = try await Self.pay(service, card(2500), key: "order-1")
            Issue.record("other parameters under one key were accepted")
        } catch let error as PaymentError {
            #expect(error.functionError.code == .idempotencyError && error.field == "amount")
        }
    }

    @Test("over the KYC limit fails without a charge and leaves the window; high risk is declined or held")
    func limitsAndRisk() async throws {
        let store = InMemoryPaymentStore()
        let stripe = ScriptedGateway("stripe", [.success(.succeeded(reference: "pi_1"))])
        let over = try await Self.pay(Self.service([stripe], store: store), card(200_000))
        #expect(over.body["failure"]?["code"] == "transaction_limit_exceeded" && stripe.charges == 0)
        let fits = try await Self.pay(Self.service([stripe], store: store), card(100_000))
        #expect(fits.body["status"] == "succeeded")

        let risky = Self.service([stripe], store: store, risk: FixedRisk(tier: .high, score: 0.97))
        let declined = try await Self.pay(risky, card(customer: "c_8"))
        #expect(declined.body["failure"]?["code"] == "fraud_declined")
        try await store.saveMerchant(
            MerchantProfile(id: "m_42", feeBasisPoints: 290, feeFixed: 30, highRisk: .review))
        let held = try await Self.pay(risky, card(customer: "c_8"))
        #expect(held.body["status"] == "requires_action" && held.body["next_action"]?["type"] == "risk_review")
        #expect(stripe.charges == 1, "neither the declined nor the held payment was charged")
    }
}
