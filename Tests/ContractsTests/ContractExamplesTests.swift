import Foundation
import SmartPayContracts
import SmartPayCore
import TestSupport
import Testing

/// Every contract type against the public examples in events/: the example decodes, and the type writes it back
/// field for field, so the examples stay what producers publish and consumers read.
@Suite("Contract types against the events/ examples")
struct ContractExamplesTests {
    /// The detail of an example: an EventBridge event's `detail`, or the first PutEvents entry's `Detail` text.
    static func detail(_ file: String) throws -> (detailType: String, detail: JSONValue) {
        let url = Executables.repositoryRoot.appendingPathComponent("events/\(file)")
        let value = try JSONParser().parse(Array(try Data(contentsOf: url)))
        if case .array(let entries)? = value["Entries"], let entry = entries.first,
            let type = entry["DetailType"]?.stringValue, let text = entry["Detail"]?.stringValue
        {
            return (type, try JSONParser().parse(Array(text.utf8)))
        }
        let detailType = try #require(value["detail-type"]?.stringValue, "\(file) is not an event")
        return (detailType, try #require(value["detail"]))
    }

    static func roundTrip<T: Codable & Equatable>(_ type: T.Type, _ file: String, detailType: String) throws -> T {
        let (exampleType, detail) = try Self.detail(file)
        #expect(exampleType == detailType, "\(file)")
        let decoded = try JSONValueDecoder().decode(T.self, from: detail)
        let written = try JSONValueEncoder().encode(decoded)
        #expect(written == detail, "\(file): written back as \(written.serializedString)")
        #expect(try JSONValueDecoder().decode(T.self, from: written) == decoded)
        return decoded
    }

    static func roundTrip<T: BusEventDetail & Equatable>(_ type: T.Type, _ file: String) throws -> T {
        try roundTrip(type, file, detailType: T.detailType)
    }

    @Test(
        "payment.processed: pay's event as route, reward, settlement and websocket-publish read it",
        arguments: [
            "bus/payment-processed.json", "bus/payment-processed-event.json", "route/payment-processed.json",
        ])
    func paymentProcessed(file: String) throws {
        let event = try Self.roundTrip(PaymentProcessed.self, file)
        #expect(event.status == .succeeded && event.net == event.amount - event.fee)
        #expect(event.money.currency.code == (file.hasPrefix("route") ? "GBP" : "USD"))
    }

    @Test("payment.refunded, payment.canceled, payment.chain.watch")
    func paymentLifecycle() throws {
        let refund = try Self.roundTrip(PaymentRefunded.self, "bus/payment-refunded.json")
        #expect(refund.status == .partiallyRefunded && refund.amount <= refund.amountRefunded)
        let canceled = try Self.roundTrip(PaymentCanceled.self, "bus/payment-canceled.json")
        let sol = try Currency(code: "SOL")
        #expect(canceled.status == "canceled" && canceled.currency == sol)
        #expect(try Self.roundTrip(PaymentChainWatch.self, "bus/payment-chain-watch.json").watch == 3)
    }

    @Test("fraud.detected, reward.*, settlement.completed, chargeback.received")
    func otherEvents() throws {
        let fraud = try Self.roundTrip(FraudDetected.self, "bus/fraud-detected.json")
        #expect(fraud.tier == .high && !fraud.reasons.isEmpty)
        let minted = try Self.roundTrip(RewardMoved.self, "bus/reward-minted.json", detailType: RewardMoved.minted)
        #expect(minted.mintedOn == "ledger" && minted.signature == nil)
        #expect(try Self.roundTrip(RewardReleaseDue.self, "bus/reward-release-due.json").paymentID == "pay_demo_1")
        let settled = try Self.roundTrip(SettlementCompleted.self, "reward/settlement-completed.json")
        #expect(settled.payments == ["pay_demo_1"])
        #expect(try Self.roundTrip(ChargebackReceived.self, "bus/chargeback-received.json").paymentID == "pay_demo_1")
    }

    @Test("a consumer names the field a producer got wrong")
    func wrongShape() throws {
        var (_, detail) = try Self.detail("bus/payment-processed-event.json")
        guard case .object(var members) = detail else { return }
        members["amount"] = .number("20.5")
        detail = .object(members)
        do {
            _ = try JSONValueDecoder().decode(PaymentProcessed.self, from: detail)
            Issue.record("a fractional amount decoded")
        } catch let error as DecodingError {
            #expect(error.fieldMessage == "amount: expected an integer, got 20.5")
        }
        members["amount"] = .number("2000")
        members["currency"] = .string("XYZ")
        #expect(throws: DecodingError.self) {
            try JSONValueDecoder().decode(PaymentProcessed.self, from: .object(members))
        }
        // Consumers tolerate fields they do not know: a producer may add one.
        members["currency"] = .string("USD")
        members["added_later"] = .bool(true)
        #expect(try JSONValueDecoder().decode(PaymentProcessed.self, from: .object(members)).amount == 2000)
    }
}
