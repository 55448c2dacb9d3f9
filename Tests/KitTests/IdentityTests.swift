import FunctionKit
import SmartPayCore
import Testing

@Suite("The caller's identity from the gateway's authorizer context")
struct IdentityTests {
    func context(_ authorizer: JSONValue?) -> InvocationContext {
        var requestContext: [String: JSONValue] = [:]
        if let authorizer { requestContext["authorizer"] = authorizer }
        let request = HTTPAPIRequest(
            method: "GET", path: "/payments/pay_1", routeKey: "GET /payments/{id}", headers: [:],
            queryStringParameters: [:], pathParameters: [:], requestContext: .object(requestContext))
        return InvocationContext(
            requestID: "r", deadline: .now + .seconds(5), logger: .init(label: "test"), functionName: "pay",
            configuration: FunctionConfiguration([:]), source: .httpAPI(request))
    }

    func jwt(_ claims: [String: String], scopes: [String] = []) -> JSONValue {
        .object([
            "jwt": .object([
                "claims": .object(claims.mapValues { .string($0) }), "scopes": .array(scopes.map { .string($0) }),
            ])
        ])
    }

    @Test("a customer reads only their own, a merchant only theirs, an admin all; strangers learn nothing")
    func ownership() throws {
        let customer = context(jwt(["sub": "c_7", "role": "customer"], scopes: ["payments:read"]))
        #expect(customer.identity?.customerID == "c_7")
        #expect(customer.identity?.hasScope("payments:read") == true)
        try customer.requireAccess(to: "payment", customerID: "c_7", merchantID: "m_42")
        #expect(throws: FunctionError.self) {
            try customer.requireAccess(to: "payment", customerID: "c_8", merchantID: "m_42")
        }

        let merchant = context(jwt(["sub": "u_1", "role": "merchant", "merchant_id": "m_42"]))
        try merchant.requireAccess(to: "payment", customerID: "c_7", merchantID: "m_42")
        #expect(throws: FunctionError.self) {
            try merchant.requireAccess(to: "payment", customerID: "c_7", merchantID: "m_43")
        }

        let key = context(
            .object([
                "lambda": .object([
                    "principal_type": .string("api_key"), "key_id": .string("key_1"), "merchant_id": .string("m_42"),
                    "scopes": .string("payments:write payments:read"),
                ])
            ]))
        #expect(key.identity?.kind == .apiKey)
        #expect(key.identity?.scopes == ["payments:write", "payments:read"])
        try key.requireAccess(to: "payment", customerID: nil, merchantID: "m_42")

        try context(jwt(["sub": "ops", "role": "admin"])).requireAccess(
            to: "payment", customerID: "c_1", merchantID: "m_1")

        let anonymous = context(nil)
        #expect(anonymous.identity == nil)
        do {
            try anonymous.requireAccess(to: "payment", customerID: "c_7", merchantID: "m_42")
            Issue.record("an anonymous HTTP caller passed")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.message == "no such payment")
        }
    }
}
