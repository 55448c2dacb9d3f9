import Foundation
import SmartPayCore
import SmartPayHTTP
import Synchronization
import TestSupport
import Testing

/// The ledger end to end: payments and refunds through `smartpay serve` (localstripe on loopback), postings over
/// the bus, the merchant's `GET /balance` equal to what its payments say, and `smartpay ledger verify` passing.
@Suite("the ledger under smartpay serve: 200 payments with refunds, the balance, verify", .serialized)
struct LedgerServeTests {
    final class Expected: Sendable {
        let net = Mutex<Int64>(0)
        let succeeded = Mutex<Int>(0)
    }

    func request(
        _ platform: ServedPlatform, _ method: String, _ path: String, token: String, body: String? = nil
    ) async throws -> (Int, JSONValue) {
        let response = try await platform.http.execute(
            HTTPClientRequest(
                method: method, url: platform.api + path,
                headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(token)")],
                body: body.map { Array($0.utf8) }, timeout: .seconds(30)))
        return (response.status, (try? JSONParser().parse(response.body)) ?? .null)
    }

    @Test("the merchant's pending balance is Σ net − Σ refunds; ledger verify passes")
    func payments() async throws {
        let platform = try await ServedPlatform(template: "../../infra/template.yaml")
        let merchant = try await platform.token([
            "--sub", "m_ledger", "--role", "merchant", "--scopes",
            "payments:write,payments:read,payments:refund,balance:read",
        ])
        let expected = Expected()
        let count = 200
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for n in stride(from: worker, to: count, by: 8) {
                        let amount = 1_000 + n * 7
                        let (status, paid) = try await request(
                            platform, "POST", "/pay", token: merchant,
                            body: """
                                {"amount": \(amount), "currency": "USD", "customer_id": "c_\(n % 17)", \
                                "merchant_id": "m_ledger", "idempotency_key": "ledger-\(n)", \
                                "payment_method": {"type": "card", "token": "pm_card_visa", "network": "visa"}}
                                """)
                        guard status == 201, paid["status"]?.stringValue == "succeeded",
                            let id = paid["id"]?.stringValue, let net = paid["net"]?.numberText.flatMap({ Int64($0) })
                        else { continue }
                        var refunded: Int64 = 0
                        if n % 5 == 0 {
                            let part = Int64(amount / 4)
                            let (refundStatus, _) = try await request(
                                platform, "POST", "/payments/\(id)/refund", token: merchant,
                                body: #"{"amount": \#(part)}"#)
                            if refundStatus == 200 || refundStatus == 201 { refunded = part }
                        }
                        expected.net.withLock { $0 += net - refunded }
                        expected.succeeded.withLock { $0 += 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        let succeeded = expected.succeeded.withLock { $0 }
        #expect(succeeded >= count * 9 / 10, "most card payments succeed (\(succeeded) of \(count))")
        let want = expected.net.withLock { $0 }
        var pending: Int64 = -1
        for _ in 0..<600 {
            let (status, balance) = try await request(platform, "GET", "/balance", token: merchant)
            #expect(status == 200, "\(balance)")
            pending = balance["pending"]?.arrayValue?.first?["amount"]?.numberText.flatMap { Int64($0) } ?? 0
            if pending == want { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(pending == want, "GET /balance pending \(pending), the payments say \(want)")
        let verify = try await ProcessRunner.run(
            try Executables.built("smartpay"), arguments: ["ledger", "verify", "--state-dir", platform.state.path],
            timeout: .seconds(60))
        #expect(verify.status == 0, "\(verify.stdoutText) \(verify.stderrText)")
        #expect(verify.stdoutText.contains("USD:") && verify.stdoutText.contains(": ok"), "\(verify.stdoutText)")
        #expect(try await platform.stop() == 0)
    }
}
