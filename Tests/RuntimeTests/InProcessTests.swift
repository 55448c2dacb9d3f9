import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SmartPayContracts
import SmartPayCore
import SmartPayTemplate
import Synchronization
import TestSupport
import Testing

@testable import SmartPayRuntime

/// The HTTP API's routing and the bus's delivery, in-process: functions are closures behind
/// `InMemoryFunctionInvoker` (no function processes), the HTTP API is driven without a socket. The same paths are
/// tested live through `smartpay serve` in `ServeTests` and `EventBusTests`.
@Suite("the runtime in-process, over an in-memory function invoker")
struct InProcessTests {
    static let template = """
        Resources:
          SplitFunction:
            Type: AWS::Serverless::Function
            Metadata: {SmartPay: {Binary: split}}
            Properties:
              FunctionName: split
              Events:
                Split: {Type: HttpApi, Properties: {Method: POST, Path: /split}}
                ByCurrency: {Type: HttpApi, Properties: {Method: POST, Path: "/split/{currency}"}}
          BrokenFunction:
            Type: AWS::Serverless::Function
            Metadata: {SmartPay: {Binary: broken}}
            Properties:
              FunctionName: broken
              Events:
                Broken: {Type: HttpApi, Properties: {Method: GET, Path: /broken}}
                Slow: {Type: HttpApi, Properties: {Method: GET, Path: /slow}}
        """

    /// Echoes the proxy event it was given as the response body.
    static let echo: InMemoryFunctionInvoker.Function = { payload in
        .response(
            JSONValue.object([
                "statusCode": .number("201"), "headers": .object(["x-function": .string("split")]),
                "body": .string(String(decoding: payload, as: UTF8.self)),
            ]).serialized())
    }

    /// An error for `/broken`, a timeout for `/slow`.
    static let broken: InMemoryFunctionInvoker.Function = { payload in
        let path = (try? JSONParser().parse(payload))?["rawPath"]?.stringValue
        if path == "/slow" { return .timeout(seconds: 3) }
        return .functionError(
            type: "Handled",
            document: JSONValue.object(["errorType": .string("Handled"), "errorMessage": .string("it broke")])
                .serialized())
    }

    static func withAPI(
        _ invoker: InMemoryFunctionInvoker, _ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let router = Router(context: APIRequestContext.self)
        HTTPAPI(invoker: invoker, routes: try TemplateParser.parse(template).httpRoutes, metrics: { "# metrics\n" })
            .addRoutes(to: router)
        try await Application(router: router).test(.router) { client in try await test(client) }
    }

    static func object(_ buffer: ByteBuffer) -> JSONValue { (try? JSONParser().parse(Array(buffer: buffer))) ?? .null }

    @Test("a route's request becomes its function's proxy event (route key, path parameters), its answer the response")
    func routing() async throws {
        let invoker = InMemoryFunctionInvoker(["split": Self.echo, "broken": Self.broken])
        try await Self.withAPI(invoker) { client in
            try await client.execute(
                uri: "/split/JPY?parts=2", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"amount": 1000}"#)
            ) { response in
                #expect(response.status == .created)
                #expect(response.headers[HTTPField.Name("x-function")!] == "split")
                let event = try JSONParser().parse(Array(String(buffer: response.body).utf8))
                #expect(event["routeKey"]?.stringValue == "POST /split/{currency}")
                #expect(event["pathParameters"]?["currency"]?.stringValue == "JPY")
                #expect(event["queryStringParameters"]?["parts"]?.stringValue == "2")
                #expect(event["body"]?.stringValue == #"{"amount": 1000}"#)
                #expect(event["requestContext"]?["http"]?["method"]?.stringValue == "POST")
            }
            try await client.execute(uri: "/split", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body) == "# metrics\n")
            }
        }
        #expect(invoker.calls.map(\.function) == ["split", "split"])
    }

    @Test("no route is a 404 that runs nothing; a body over 6 MB a 413 that runs nothing")
    func refusals() async throws {
        let invoker = InMemoryFunctionInvoker(["split": Self.echo, "broken": Self.broken])
        try await Self.withAPI(invoker) { client in
            try await client.execute(uri: "/nope", method: .post) { response in
                #expect(response.status == .notFound)
                #expect(Self.object(response.body)["error"]?.stringValue == "no route for POST /nope")
            }
            try await client.execute(uri: "/split", method: .get) { #expect($0.status == .notFound) }
            let big = ByteBuffer(repeating: UInt8(ascii: " "), count: HTTPAPI.maximumBodyBytes + 1)
            try await client.execute(uri: "/split", method: .post, body: big) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
        #expect(invoker.calls.isEmpty)
    }

    @Test("a function error is a 502 with Lambda's error document, a timeout a 504")
    func failures() async throws {
        let invoker = InMemoryFunctionInvoker(["split": Self.echo, "broken": Self.broken])
        try await Self.withAPI(invoker) { client in
            try await client.execute(uri: "/broken", method: .get) { response in
                #expect(response.status == .badGateway)
                let body = Self.object(response.body)
                #expect(body["message"]?.stringValue == "Internal Server Error")
                #expect(body["error"]?["errorMessage"]?.stringValue == "it broke")
            }
            try await client.execute(uri: "/slow", method: .get) { response in
                #expect(response.status == .gatewayTimeout)
                #expect(Self.object(response.body)["message"]?.stringValue == "Endpoint request timed out")
            }
        }
    }

    static let busTemplate = """
        Resources:
          ProbeFunction:
            Type: AWS::Serverless::Function
            Metadata: {SmartPay: {Binary: probe}}
            Properties:
              FunctionName: probe
              Events:
                OnPing:
                  Type: EventBridgeRule
                  Properties:
                    Pattern: {source: [test.inprocess]}
                    RetryPolicy: {MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600}
                    DeadLetterConfig: {Arn: "arn:aws:sqs:us-east-1:000000000000:probe-dlq"}
        """

    @Test("bus delivery to a target: a failure is retried, a delivery that keeps failing goes to the DLQ unchanged")
    func busDelivery() async throws {
        try await RedisServer.with { redis in
            // "flaky" fails its first attempt, "broken" every one.
            let attempts = AttemptCounter()
            let invoker = InMemoryFunctionInvoker([
                "probe": { payload in
                    let detail = (try? JSONParser().parse(payload))?["detail"]?["case"]?.stringValue ?? ""
                    let attempt = attempts.next(detail)
                    if detail == "flaky" && attempt > 1 { return .response(Array("{}".utf8)) }
                    return .functionError(
                        type: "Unavailable",
                        document: JSONValue.object([
                            "errorType": .string("Unavailable"), "errorMessage": .string("\(detail) #\(attempt)"),
                        ]).serialized())
                }
            ])
            let template = try TemplateParser.parse(Self.busTemplate)
            var options = EventBusOptions()
            options.retryBaseDelay = .milliseconds(10)
            let bus = try EventBus(
                template: template, redisURL: redis.url, target: FunctionTarget(invoker: invoker), options: options,
                logger: Logger(label: "in-process-bus-test", factory: { _ in SwiftLogNoOpLogHandler() }))
            try await bus.prepare()
            let admin = BusAdmin(template: template, redis: bus.redis)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await bus.run() }
                let results = try await admin.put([
                    .init(source: "test.inprocess", detailType: "ping", detail: #"{"case": "flaky"}"#),
                    .init(source: "test.inprocess", detailType: "ping", detail: #"{"case": "broken"}"#),
                ])
                #expect(results.allSatisfy { if case .success = $0 { true } else { false } })
                let deadline = ContinuousClock.now + .seconds(20)
                while try await admin.deadLetters(target: "probe").isEmpty, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                group.cancelAll()
            }
            #expect(attempts.count("flaky") == 2, "failed once, delivered on its retry")
            #expect(attempts.count("broken") == 3, "the first attempt and MaximumRetryAttempts (2) retries")
            let letters = try await admin.deadLetters(target: "probe")
            #expect(letters.count == 1)
            let letter = try #require(letters.first)
            #expect(letter.queue == "probe-dlq")
            #expect(try JSONParser().parse(Array(letter.event.utf8))["detail"]?["case"]?.stringValue == "broken")
            #expect(letter.attributes["ERROR_CODE"] == "Unavailable")
            #expect(letter.attributes["ERROR_MESSAGE"] == "broken #3")
            #expect(letter.attributes["RETRY_ATTEMPTS"] == "2")
            #expect(letter.attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts")
        }
    }
}

/// Attempts per case, across the deliveries' tasks.
final class AttemptCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func next(_ key: String) -> Int {
        counts.withLock { counts in
            let next = counts[key, default: 0] + 1
            counts[key] = next
            return next
        }
    }

    func count(_ key: String) -> Int { counts.withLock { $0[key, default: 0] } }
}
