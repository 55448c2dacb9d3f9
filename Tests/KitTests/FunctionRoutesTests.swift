import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import Testing

/// A routed function for the tests: one route of each kind.
struct LedgerProbe: RoutedFunction {
    struct Deposit: Decodable, Sendable {
        var amount: Int64
        var currency: Currency
        var memo: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case amount, currency, memo }
    }

    struct Account: Decodable, Sendable {
        var id: String
        enum CodingKeys: String, CodingKey, CaseIterable { case id }
    }

    struct Receipt: Encodable, Sendable, HTTPResponseShaping {
        var amount: Int64
        var currency: Currency
        var httpStatus: Int { 201 }
    }

    static let routes = FunctionRoutes<LedgerProbe>(defaultAction: "balance") { routes in
        routes.http("POST /accounts/{id}/deposits", body: Deposit.self) { _, deposit, request, _ in
            #expect(request.pathParameters["id"] == "acc_1")
            return Receipt(amount: deposit.amount, currency: deposit.currency)
        }
        routes.http("GET /accounts/{id}", body: EmptyBody.self) { _, _, request, _ in
            ["id": request.pathParameters["id"] ?? ""]
        }
        routes.event(PaymentChainWatch.self) { _, watch, envelope, _ in
            ["watched": watch.paymentID, "event": envelope.id]
        }
        routes.action("balance", body: Account.self) { _, account, _ in ["balance_of": account.id] }
    }

    init() {}
    init(context: InitializationContext) async throws {}
}

@Suite("Typed routes in the harness")
struct FunctionRoutesTests {
    static func host() async throws -> FunctionHost<LedgerProbe> {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try await FunctionHost<LedgerProbe>(
            functionName: "ledger-probe", configuration: FunctionConfiguration([:]), logger: logger)
    }

    static func http(_ method: String, _ path: String, routeKey: String, body: String?, id: String = "acc_1")
        -> JSONValue
    {
        var event: [String: JSONValue] = [
            "version": "2.0", "routeKey": .string(routeKey), "rawPath": .string(path),
            "headers": ["content-type": "application/json"], "pathParameters": ["id": .string(id)],
            "requestContext": ["http": ["method": .string(method), "path": .string(path)]],
            "isBase64Encoded": false,
        ]
        if let body { event["body"] = .string(body) }
        return .object(event)
    }

    static func invoke(_ event: JSONValue) async throws -> JSONValue {
        let result = try await host().invoke(payload: event.serialized(), metadata: .local(timeout: .seconds(10)))
        return try JSONParser().parse(result.payload)
    }

    static func body(_ response: JSONValue) throws -> JSONValue {
        try JSONParser().parse(Array((response["body"]?.stringValue ?? "").utf8))
    }

    @Test("an HTTP route is chosen by the route key the runtime matched, its body typed, its status its own")
    func httpRoute() async throws {
        let created = try await Self.invoke(
            Self.http(
                "POST", "/accounts/acc_1/deposits", routeKey: "POST /accounts/{id}/deposits",
                body: #"{"amount": 250, "currency": "JPY"}"#))
        #expect(created["statusCode"] == .number("201"), "\(created.serializedString)")
        #expect(try Self.body(created) == ["amount": .number("250"), "currency": "JPY"])
        let got = try await Self.invoke(Self.http("GET", "/accounts/acc_1", routeKey: "GET /accounts/{id}", body: nil))
        #expect(try Self.body(got) == ["id": "acc_1"])
    }

    @Test("a misspelt field, a wrong type and an unknown route are refused by name")
    func refusals() async throws {
        let misspelt = try await Self.invoke(
            Self.http(
                "POST", "/accounts/acc_1/deposits", routeKey: "POST /accounts/{id}/deposits",
                body: #"{"amount": 5, "amuont": 5, "currency": "USD"}"#))
        #expect(misspelt["statusCode"] == .number("400"))
        let error = try Self.body(misspelt)["error"]
        #expect(error?["field"] == "amuont", "\(misspelt.serializedString)")
        #expect(error?["message"]?.stringValue?.hasPrefix("amuont: unknown field") == true)
        let fractional = try await Self.invoke(
            Self.http(
                "POST", "/accounts/acc_1/deposits", routeKey: "POST /accounts/{id}/deposits",
                body: #"{"amount": 5.5, "currency": "USD"}"#))
        #expect(try Self.body(fractional)["error"]?["field"] == "amount")
        let unknown = try await Self.invoke(Self.http("DELETE", "/accounts/acc_1", routeKey: "DELETE /x", body: nil))
        #expect(unknown["statusCode"] == .number("404"), "\(unknown.serializedString)")
    }

    @Test("a bus event is chosen by detail-type with a typed detail; another type is refused")
    func eventRoute() async throws {
        let envelope = EventEnvelope(
            id: "evt_9", detailType: PaymentChainWatch.detailType, source: "smartpay.pay",
            detail: PaymentChainWatch(paymentID: "pay_1", watch: 2))
        let answer = try await Self.invoke(try JSONValueEncoder().encode(envelope))
        #expect(answer == ["watched": "pay_1", "event": "evt_9"], "\(answer.serializedString)")
        var other = try JSONValueEncoder().encode(envelope)
        if case .object(var members) = other {
            members["detail-type"] = "payment.processed"
            other = .object(members)
        }
        let refused = try await Self.invoke(other)
        #expect(refused["errorType"] == "InvalidRequest")
        #expect(
            refused["errorMessage"]
                == "ledger-probe does not handle payment.processed events; it handles payment.chain.watch")
    }

    @Test("a direct action by name (the default when absent), its body without action; an unknown one named")
    func actions() async throws {
        #expect(try await Self.invoke(["action": "balance", "id": "acc_2"]) == ["balance_of": "acc_2"])
        #expect(try await Self.invoke(["id": "acc_3"]) == ["balance_of": "acc_3"])
        let unknown = try await Self.invoke(["action": "close", "id": "acc_3"])
        #expect(unknown["errorMessage"] == #"action: unknown action "close"; expected one of balance"#)
        let typo = try await Self.invoke(["action": "balance", "idd": "acc_3"])
        #expect(typo["errorMessage"]?.stringValue?.hasPrefix("idd: unknown field") == true)
    }
}

/// A function with a family of events under one prefix route beside an exact one.
struct SettlementProbe: RoutedFunction {
    struct Notice: Decodable, Sendable { var merchantID: String? }

    static let routes = FunctionRoutes<SettlementProbe> { routes in
        routes.events(prefix: "settlement.", detail: Notice.self) { _, notice, envelope, _ in
            ["prefix": envelope.detailType, "merchant": notice.merchantID ?? ""]
        }
        routes.event("settlement.special", detail: Notice.self) { _, _, _, _ in ["exact": true] as JSONValue }
    }

    init() {}
    init(context: InitializationContext) async throws {}
}

@Suite("Prefix event routes")
struct PrefixRouteTests {
    static func invoke(_ type: String) async throws -> JSONValue {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let host = try await FunctionHost<SettlementProbe>(
            functionName: "settle-probe", configuration: FunctionConfiguration([:]), logger: logger)
        let envelope = EventEnvelope(
            detailType: type, source: "smartpay.settlement", detail: ["merchant_id": "m_42"] as JSONValue)
        let result = await host.invoke(
            payload: try JSONValueEncoder().encode(envelope).serialized(), metadata: .local(timeout: .seconds(5)))
        return try JSONParser().parse(result.payload)
    }

    @Test("a settlement.* event reaches the prefix route, an exact route wins, another family is refused")
    func prefixes() async throws {
        #expect(
            try await Self.invoke("settlement.completed") == ["prefix": "settlement.completed", "merchant": "m_42"])
        #expect(try await Self.invoke("settlement.held") == ["prefix": "settlement.held", "merchant": "m_42"])
        #expect(try await Self.invoke("settlement.special") == ["exact": true])
        let refused = try await Self.invoke("payment.processed")
        #expect(
            refused["errorMessage"]
                == "settle-probe does not handle payment.processed events; it handles settlement.special, settlement.*")
    }
}
