import Foundation
import FunctionKit
import LedgerFunction
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayLedger
import TestSupport
import Testing

func succeeded(_ payment: String, merchant: String = "m_42", amount: Int64 = 2000, fee: Int64 = 88)
    -> PaymentProcessed
{
    PaymentProcessed(
        paymentID: payment, merchantID: merchant, customerID: "c_7", amount: amount, currency: .usd,
        status: .succeeded, fee: fee, net: amount - fee, paymentMethod: "card", processorError: false, attempts: 1,
        gateway: "stripe")
}

func refunded(_ payment: String, _ refund: String, amount: Int64, total: Int64, merchant: String = "m_42")
    -> PaymentRefunded
{
    PaymentRefunded(
        paymentID: payment, refundID: refund, merchantID: merchant, customerID: "c_7", amount: amount,
        currency: .usd, amountRefunded: total, status: .partiallyRefunded, gateway: "stripe")
}

@Suite("ledger postings: captures and refunds as linked chains, once each, and the merchant's balance")
struct LedgerPostingTests {
    @Test("a capture posts net to held and fee to fees, once however often it arrives", arguments: StoreKind.allCases)
    func capture(kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let service = LedgerService(store: store)
            let first = try #require(try await service.postCapture(succeeded("pay_1")))
            #expect(first.legs.map(\.result) == [.created, .created])
            #expect(first.legs.map(\.amount) == [1912, 88])
            let again = try #require(try await LedgerService(store: store).postCapture(succeeded("pay_1")))
            #expect(again.legs.map(\.result) == [.exists, .exists])
            #expect(try await service.postCapture(failedPayment()) == nil)
            let balance = try await service.balances(merchant: "m_42")
            #expect(balance == [MerchantBalance(currency: "USD", available: 0, pending: 1912, reserved: 0)])
            let fees = try await store.lookupAccounts([ChartAccount.fees.id(in: usd)], ledger: usd)
            #expect(fees.first??.creditsPosted == 88)
            #expect(try await verify(store).ok)
            await #expect(throws: LedgerError.self) {
                var wrong = succeeded("pay_2")
                wrong.net = 1
                _ = try await service.postCapture(wrong)
            }
        }
    }

    @Test(
        "a refund takes from held first, then available; never more than captured; not before its capture",
        arguments: StoreKind.allCases)
    func refund(kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let service = LedgerService(store: store)
            _ = try await service.postCapture(succeeded("pay_1"))  // held 1912
            // Settle 1500 of it to available, as settlement will.
            let held = ChartAccount.held(merchant: "m_42").id(in: usd)
            let available = ChartAccount.available(merchant: "m_42").id(in: usd)
            #expect(
                try await store.createTransfers([
                    NewTransfer(
                        id: .derived("test", "release"), debitAccountID: held, creditAccountID: available,
                        amount: 1500, ledger: usd, code: 4)
                ]) == [.created])
            let partial = try await service.postRefund(refunded("pay_1", "re_1", amount: 500, total: 500))
            #expect(partial.legs.map(\.amount) == [412, 88])
            #expect(partial.legs.map(\.debit) == ["merchant:m_42:held", "merchant:m_42:available"])
            #expect(
                try await service.postRefund(refunded("pay_1", "re_1", amount: 500, total: 500)).legs.map(\.result)
                    == [.exists, .exists])
            #expect(
                try await service.balances(merchant: "m_42") == [
                    MerchantBalance(currency: "USD", available: 1412, pending: 0, reserved: 0)
                ])
            await #expect(throws: LedgerError.self) {
                _ = try await service.postRefund(refunded("pay_1", "re_2", amount: 1600, total: 2100))
            }
            do {
                _ = try await service.postRefund(refunded("pay_9", "re_9", amount: 5, total: 5))
                Issue.record("a refund before its capture must wait")
            } catch let error as LedgerError {
                #expect(error.functionError.code == .unavailable, "503: the bus retries it")
            }
            // More than the merchant holds: refused by name, nothing half-written.
            _ = try await service.postCapture(succeeded("pay_3", merchant: "m_7", amount: 100, fee: 10))
            _ = try await store.createAccounts([ChartAccount.external("bank").new(in: usd)])
            _ = try await store.createTransfers([
                NewTransfer(
                    id: .derived("test", "drain"), debitAccountID: ChartAccount.held(merchant: "m_7").id(in: usd),
                    creditAccountID: ChartAccount.external("bank").id(in: usd), amount: 50, ledger: usd, code: 4)
            ])
            await #expect(throws: LedgerError.self) {
                _ = try await service.postRefund(refunded("pay_3", "re_3", amount: 60, total: 60, merchant: "m_7"))
            }
            #expect(try await verify(store).ok)
        }
    }

    @Test(
        "a chargeback takes held, available, reserve, then a negative balance by its own code; once",
        arguments: StoreKind.allCases)
    func chargeback(kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let service = LedgerService(store: store)
            _ = try await service.postCapture(succeeded("pay_1"))  // held 1912, fee 88
            let taken = try await service.postChargeback(ChargebackReceived(paymentID: "pay_1", reason: "fraudulent"))
            #expect(taken.legs.map(\.amount) == [1912, 88])
            #expect(taken.legs.map(\.code) == [.chargeback, .chargebackNegative])
            #expect(taken.legs.map(\.debit) == ["merchant:m_42:held", "merchant:m_42:negative"])
            let again = try await service.postChargeback(ChargebackReceived(paymentID: "pay_1"))
            #expect(again.legs.allSatisfy { $0.result == .exists })
            #expect(
                try await service.balances(merchant: "m_42") == [
                    MerchantBalance(currency: "USD", available: -88, pending: 0, reserved: 0)
                ])
            await #expect(throws: LedgerError.self) {
                _ = try await service.postChargeback(ChargebackReceived(paymentID: "pay_unknown"))
            }
            _ = try await service.postCapture(succeeded("pay_2"))
            await #expect(throws: LedgerError.self) {
                _ = try await service.postChargeback(ChargebackReceived(paymentID: "pay_2", amount: 2001))
            }
            #expect(try await verify(store).ok)
        }
    }

    func failedPayment() -> PaymentProcessed {
        var payment = succeeded("pay_f")
        payment.status = .failed
        return payment
    }
}

extension JSONValue {
    func item(_ index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}

@Suite("ledger function: its events/ examples and GET /balance, through the harness on a real Redis")
struct LedgerHandlerTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Self.root.appendingPathComponent(path)))
    }

    /// One invocation as the Runtime API loop runs it: the answer, or the failure's error.
    func invoke(_ host: FunctionHost<LedgerHandler>, _ payload: [UInt8]) async throws -> JSONValue {
        switch await host.invoke(payload: payload, metadata: .local(timeout: .seconds(10))) {
        case .response(let bytes): return try JSONParser().parse(bytes)
        case .failure(let error): throw error
        }
    }

    @Test("every example answers; the balance is the merchant's; a stranger's is 404; a bad flag is named")
    func examples() async throws {
        try await RedisServer.with { redis in
            let host = try await FunctionHost<LedgerHandler>(
                functionName: "ledger", configuration: FunctionConfiguration(["REDIS_URL": redis.url]))
            func call(_ path: String) async throws -> JSONValue { try await invoke(host, try bytes(path)) }
            let posted = try await call("events/bus/payment-processed-event.json")
            #expect(posted["posted"] == .bool(true))
            let refunded = try await call("events/bus/payment-refunded.json")
            #expect(refunded["transfers"]?.item(0)?["amount"] == .number("500"))
            _ = try await call("events/ledger/create-accounts.json")
            let transfers = try await call("events/ledger/create-transfers.json")
            #expect(transfers["results"]?.item(0)?["result"] == .string("created"))
            #expect(transfers["results"]?.item(1)?["result"] == .string("created"))
            let accounts = try await call("events/ledger/lookup-accounts.json")
            #expect(accounts["accounts"]?.item(0)?["credits_posted"] == .number("1912"))
            let verified = try await call("events/ledger/verify.json")
            #expect(verified["ledgers"]?.item(0)?["ok"] == .bool(true))
            let balance = try await call("events/ledger/balance.json")
            #expect(balance["pending"]?.item(0)?["amount"] == .number("1412"))

            let http = try await call("events/ledger/http-balance.json")
            #expect(http["statusCode"] == .number("200"))
            #expect(http["body"]?.stringValue?.contains(#""object":"balance""#) == true)
            guard case .object(var members) = try JSONParser().parse(try bytes("events/ledger/http-balance.json"))
            else { return }
            members["queryStringParameters"] = .object(["merchant_id": .string("m_1")])
            let stranger = try await invoke(host, JSONValue.object(members).serialized())
            #expect(stranger["statusCode"] == .number("404"), "another merchant's balance is a 404")
            do {
                _ = try await call("events/ledger/invalid-unknown-flag.json")
                Issue.record("an unknown flag must be refused")
            } catch let refusal as FunctionError {
                #expect(refusal.field == "transfers[0].flags" && refusal.message.contains("pendng"))
            }
        }
    }
}
