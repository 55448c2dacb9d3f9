import Foundation
import PayFunction
import SmartPayCore
import SmartPayHTTP
import TestSupport
import Testing
import _CryptoExtras

func amazonGateway(_ sandbox: LocalAmazonPay, keyID: String = LocalAmazonPay.publicKeyID, pem: String? = nil)
    throws -> AmazonPayGateway
{
    try AmazonPayGateway(
        publicKeyID: keyID, privateKeyPEM: pem ?? sandbox.privateKeyPEM, baseURL: sandbox.baseURL, http: HTTPClient(),
        timeout: .seconds(5))
}

func wallet(_ amount: Int = 2000, permission: String = "S01-0000001-0000001", stripe: String? = nil) -> String {
    let stripeToken = stripe.map { #", "stripe": "\#($0)""# } ?? ""
    return
        #"{"amount": \#(amount), "currency": "USD", "customer_id": "c_7", "merchant_id": "m_42", "payment_method": {"type": "wallet", "tokens": {"amazon_pay": "\#(permission)"\#(stripeToken)}}}"#
}

@Suite("Amazon Pay API v2: signed requests against the sandbox server, which verifies them independently", .serialized)
struct AmazonPayTests {
    @Test("the canonical request is the documented one: sorted lowercase headers, signed list, body hash")
    func canonicalRequest() throws {
        let (canonical, signed) = AmazonPaySigner.canonicalRequest(
            method: "post", path: "/sandbox/v2/charges", query: [("b", "2 3"), ("a", "1")],
            headers: [
                ("X-Amz-Pay-Region", "us"), ("accept", " application/json "), ("Content-Type", "application/json"),
            ],
            body: Array("{}".utf8))
        #expect(signed == "accept;content-type;x-amz-pay-region")
        #expect(
            canonical
                == "POST\n/sandbox/v2/charges\na=1&b=2%203\naccept:application/json\ncontent-type:application/json\n"
                + "x-amz-pay-region:us\n\naccept;content-type;x-amz-pay-region\n"
                + "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        #expect(AmazonPaySigner.stringToSign("x").hasPrefix("AMZN-PAY-RSASSA-PSS-V2\n"))
    }

    @Test("a signature is RSA-PSS over SHA-256 that the public key verifies, and bad keys are named, not shown")
    func signature() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let signer = try AmazonPaySigner(publicKeyID: "K1", privateKeyPEM: key.pemRepresentation)
        let header = try signer.authorization(
            method: "GET", path: "/v2/charges/x", query: [], headers: [("x-amz-pay-date", "20261122T101530Z")],
            body: [])
        #expect(header.hasPrefix("AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=K1, SignedHeaders=x-amz-pay-date, Signature="))
        let encoded = String(header.split(separator: "Signature=")[1])
        let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(Data(base64Encoded: encoded)))
        let (canonical, _) = AmazonPaySigner.canonicalRequest(
            method: "GET", path: "/v2/charges/x", query: [], headers: [("x-amz-pay-date", "20261122T101530Z")],
            body: [])
        #expect(
            key.publicKey.isValidSignature(
                signature, for: Array(AmazonPaySigner.stringToSign(canonical).utf8), padding: .PSS))
        #expect(throws: GatewayError.self) {
            _ = try AmazonPaySigner(publicKeyID: "K1", privateKeyPEM: "-----BEGIN PRIVATE KEY-----\nnope")
        }
        #expect(AmazonPayGateway.decimal(Money(minorUnits: 5, currency: .usd)) == "0.05")
        #expect(AmazonPayGateway.decimal(Money(minorUnits: 123_456, currency: .usd)) == "1234.56")
        #expect(AmazonPayGateway.decimal(Money(minorUnits: 1500, currency: .jpy)) == "1500")
    }

    @Test("a wallet payment: Charge authorised then captured, the same attempt key finds the same Charge, refunds")
    func chargeCaptureRefund() async throws {
        try await RedisServer.with { redis in
            let sandbox = try await LocalAmazonPay()
            defer { sandbox.stop() }
            let gateway = try amazonGateway(sandbox)
            let harness = Harness(redis: redis, stripes: [], others: [gateway])
            let answer = try await harness.pay(wallet(4200))
            #expect(answer.body["status"]?.stringValue == "succeeded", "\(answer.body)")
            #expect(answer.body["gateway"]?.stringValue == "amazon_pay")
            let id = try #require(answer.body["id"]?.stringValue)
            let stored = try #require(try await harness.store.load(id))
            let chargeID = try #require(stored.gatewayReference)
            #expect(chargeID.hasPrefix("S01-") && chargeID.contains("-C"))
            let charge = try await gateway.charge(id: chargeID)
            #expect(charge["statusDetails"]?["state"]?.stringValue == "Completed")
            #expect(charge["chargeAmount"]?["amount"]?.stringValue == "42.00")
            #expect(charge["merchantMetadata"]?["merchantReferenceId"]?.stringValue == id)

            // The attempt's idempotency key again: the first Charge, not a second.
            let again = try await gateway.charge(
                ChargeRequest(
                    paymentID: id, idempotencyKey: "\(id):attempt:1", money: stored.money,
                    method: stored.paymentMethod, customerID: "c_7", merchantID: "m_42"))
            #expect(again == .succeeded(reference: chargeID))

            let merchant = Caller(audience: .merchant, actor: "merchant:m_42")
            let part = try await harness.service.refund(
                id, amount: 1200, reason: "damaged", caller: merchant, requestID: "r1")
            #expect(part.status == .partiallyRefunded && part.refunds.first?.gatewayReference?.contains("-R") == true)
            let rest = try await harness.service.refund(id, amount: nil, reason: nil, caller: merchant, requestID: "r2")
            #expect(rest.status == .refunded)
            #expect(try await gateway.charge(id: chargeID)["refundedAmount"]?["amount"]?.stringValue == "42.00")
            // A captured Charge cannot be canceled: Amazon's 422 is ours to not retry.
            await #expect(throws: GatewayError.self) {
                try await gateway.cancel(reference: chargeID, idempotencyKey: "\(id):cancel")
            }
        }
    }

    @Test("a capture in flight (CaptureInitiated) is read back until it completes")
    func asynchronousCapture() async throws {
        try await RedisServer.with { redis in
            let sandbox = try await LocalAmazonPay(captureDelay: 0.3)
            defer { sandbox.stop() }
            let harness = Harness(redis: redis, stripes: [], others: [try amazonGateway(sandbox)])
            let answer = try await harness.pay(wallet(900))
            #expect(answer.body["status"]?.stringValue == "succeeded", "\(answer.body)")
        }
    }

    @Test("a hard decline is the buyer's: failed, never retried at Stripe; a processing failure fails over to Stripe")
    func declinesAndFailover() async throws {
        try await RedisServer.with { redis in
            try await LocalStripe.with { stripe in
                let sandbox = try await LocalAmazonPay()
                defer { sandbox.stop() }
                let harness = Harness(
                    redis: redis, stripes: [("stripe", stripe.baseURL)], order: ["amazon_pay", "stripe"],
                    others: [try amazonGateway(sandbox)])
                let declined = try await harness.pay(
                    wallet(permission: "S01-0000002-0000002-HardDeclined", stripe: "pm_card_visa"))
                #expect(declined.body["status"]?.stringValue == "failed")
                #expect(declined.body["failure"]?["code"]?.stringValue == "hard_declined")
                #expect(try await intents(at: stripe).isEmpty, "a decline never goes to another gateway")

                let failedOver = try await harness.pay(
                    wallet(permission: "S01-0000003-0000003-ProcessingFailure", stripe: "pm_card_visa"))
                #expect(failedOver.body["status"]?.stringValue == "succeeded", "\(failedOver.body)")
                #expect(failedOver.body["gateway"]?.stringValue == "stripe")
                let id = try #require(failedOver.body["id"]?.stringValue)
                let attempts = try #require(try await harness.store.load(id)).attempts
                #expect(attempts.map(\.gateway) == ["amazon_pay", "stripe"])
                #expect(attempts[0].errorCode == "ProcessingFailure")
            }
        }
    }

    @Test("the sandbox refuses a signature made with another key: a processor error, not a charge")
    func wrongKeyIsRefused() async throws {
        let sandbox = try await LocalAmazonPay()
        defer { sandbox.stop() }
        let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let gateway = try amazonGateway(sandbox, pem: other.pemRepresentation)
        do {
            _ = try await gateway.charge(
                ChargeRequest(
                    paymentID: "pay_x", idempotencyKey: "pay_x:attempt:1",
                    money: Money(minorUnits: 100, currency: .usd),
                    method: PaymentMethodDetails(type: .wallet, tokens: ["amazon_pay": "S01-1"]), customerID: "c",
                    merchantID: "m"))
            Issue.record("a forged signature was accepted")
        } catch {
            #expect(error.code == "InvalidRequestSignature" && error.kind == .processorError)
        }
        let unknown = try amazonGateway(sandbox, keyID: "SOMEONE-ELSE")
        await #expect(throws: GatewayError.self) { _ = try await unknown.charge(id: "S01-0000000-0000000-C000001") }
    }
}
