import FunctionKit
import Logging
import RouteFunction
import SmartPayContracts
import SmartPayCore
import SmartPayRedis
import Testing

@Suite("route: the policy's input errors answer the statuses and messages the harness answered before")
struct RouteInputErrorTests {
    func mapped(_ body: () throws -> Void) -> FunctionError? {
        do {
            try body()
            return nil
        } catch {
            return FunctionError(wrapping: error)
        }
    }

    @Test("a context that is not an object is a 400; a field breaking a rule a 422 naming it")
    func statuses() throws {
        let notObject = try #require(mapped { _ = try RouteContext(json: .array([])) })
        #expect(notObject.code == .invalidRequest && notObject.code.httpStatus == 400)
        #expect(notObject.message == "expected a JSON object with the payment context" && notObject.field == nil)

        let method = try #require(
            mapped {
                _ = try RouteContext(
                    json: try JSONParser().parse(
                        #"{"amount_minor": 100, "currency": "USD", "method": "cheque", "country": "US"}"#))
            })
        #expect(method.code == .validation && method.code.httpStatus == 422 && method.field == "method")
        #expect(method.message == #"method: expected card, wallet or crypto, got "cheque""#)

        let amount = try #require(
            mapped {
                _ = try RouteContext(
                    json: try JSONParser().parse(
                        #"{"amount": 0, "currency": "USD", "method": "card", "country": "US"}"#))
            })
        #expect(amount.field == "amount" && amount.message == "amount: must be positive, got 0")

        let context = RouteContext(money: Money(minorUnits: 100, currency: .jpy), method: .crypto, country: "JP")
        let none = try #require(mapped { _ = try GatewayCatalog.standard.eligible(for: context, candidates: nil) })
        #expect(none.code.httpStatus == 422 && none.message == "currency: no gateway accepts JPY by crypto from JP")
    }

    @Test("an outcome names its field: a payment.processed without a gateway, a stdio feedback without a result")
    func outcomes() throws {
        let processed = PaymentProcessed(
            paymentID: "pay_1", merchantID: "m_1", customerID: "c_1", amount: 2000, currency: .usd, status: .succeeded,
            fee: 0, net: 2000, paymentMethod: "card", processorError: false, attempts: 1, decisionID: "rd_1",
            gateway: "paypal")
        #expect(throws: RouteInputError("gateway", #"unknown gateway "paypal""#)) {
            _ = try RouteOutcome(processed, catalog: .standard)
        }
        #expect(throws: RouteInputError("authorized", "expected authorized (true/false) or a status")) {
            _ = try RouteOutcome(json: try JSONParser().parse(#"{"gateway": "stripe"}"#), catalog: .standard)
        }
        #expect(throws: RouteInputError.notAnObject("the feedback")) {
            _ = try RouteOutcome(json: .string("stripe"), catalog: .standard)
        }
        #expect(
            RouteInputError("latency_ms", "expected a non-negative number").description
                == "latency_ms: expected a non-negative number")
    }

    @Test("a routing store that is down is a 503 naming it, with no wrapper in the handler")
    func redisDown() async throws {
        let down = RedisConfiguration(host: "127.0.0.1", port: 1, service: "the routing store")
        let handler = RouteHandler(store: RouteModelStore(redis: RedisClient(configuration: down)))
        do {
            _ = try await handler.handle(RouteHandlerTests.payment(), context: RouteHandlerTests.context())
            Issue.record("decided without a store")
        } catch {
            let mapped = FunctionError(wrapping: error)
            #expect(mapped.code == .unavailable && mapped.code.httpStatus == 503)
            #expect(
                mapped.message.hasPrefix("the routing store is unavailable: redis connection_failed"),
                "\(mapped.message)")
        }
    }
}
