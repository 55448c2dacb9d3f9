import FunctionKit
import SmartPayCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The test function that proves the harness: splits an amount into parts by basis points (largest remainder).
///
/// Its extra fields drive the harness's edge cases in tests: `sleep_ms` (deadline), `fail_with` (error mapping),
/// `response_bytes` (payload limit), `echo_environment` (trace id), `ignore_cancellation`, `echo_remaining` (the
/// time left before the deadline, in `remaining_ms`), `echo_identity` (the caller, as the harness reads the gateway's
/// authorizer context).
/// `SPLIT_FAIL_INIT=1` in the environment makes initialisation fail.
public struct SplitHandler: FunctionHandler {
    public struct Event: Decodable, Sendable {
        public let money: Money
        public let partsBps: [Int]
        public let sleepMs: Int?
        public let ignoreCancellation: Bool?
        public let failWith: String?
        public let responseBytes: Int?
        public let echoEnvironment: [String]?
        public let echoRemaining: Bool?
        public let echoIdentity: Bool?

        enum CodingKeys: String, CodingKey {
            case partsBps, sleepMs, ignoreCancellation, failWith, responseBytes, echoEnvironment, echoRemaining
            case echoIdentity
        }

        public init(from decoder: any Decoder) throws {
            money = try Money(from: decoder)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            partsBps = try container.decode([Int].self, forKey: .partsBps)
            sleepMs = try container.decodeIfPresent(Int.self, forKey: .sleepMs)
            ignoreCancellation = try container.decodeIfPresent(Bool.self, forKey: .ignoreCancellation)
            failWith = try container.decodeIfPresent(String.self, forKey: .failWith)
            responseBytes = try container.decodeIfPresent(Int.self, forKey: .responseBytes)
            echoEnvironment = try container.decodeIfPresent([String].self, forKey: .echoEnvironment)
            echoRemaining = try container.decodeIfPresent(Bool.self, forKey: .echoRemaining)
            echoIdentity = try container.decodeIfPresent(Bool.self, forKey: .echoIdentity)
        }

        public init(money: Money, partsBps: [Int], sleepMs: Int? = nil) {
            self.money = money
            self.partsBps = partsBps
            self.sleepMs = sleepMs
            self.ignoreCancellation = nil
            self.failWith = nil
            self.responseBytes = nil
            self.echoEnvironment = nil
            self.echoRemaining = nil
            self.echoIdentity = nil
        }
    }

    public struct Output: Encodable, Sendable {
        public let amount: Int64
        public let currency: String
        public let parts: [Int64]
        public let requestId: String
        public let source: String
        public var environment: [String: String]?
        public var padding: String?
        public var remainingMs: Int64?
        public var identity: [String: String]?
        public var scopes: [String]?
        public var claims: JSONValue?
    }

    public init(context: InitializationContext) async throws {
        if context.configuration["SPLIT_FAIL_INIT"] == "1" {
            throw FunctionError(.internal, "SPLIT_FAIL_INIT is set")
        }
    }

    public func handle(_ event: Event, context: InvocationContext) async throws -> Output {
        if let sleepMs = event.sleepMs {
            if event.ignoreCancellation == true {
                usleep(UInt32(sleepMs) * 1000)
            } else {
                try await Task.sleep(for: .milliseconds(sleepMs))
            }
        }
        if let failWith = event.failWith {
            switch failWith {
            case "not_found": throw FunctionError.notFound("no such split")
            case "conflict": throw FunctionError(.conflict, "split already made")
            case "rate_limited": throw FunctionError(.rateLimited, "slow down")
            case "crash": fatalError("crash requested by the event")
            default: throw SplitFailure()
            }
        }
        guard event.money.minorUnits >= 0 else {
            throw FunctionError.validation("amount", "must not be negative, got \(event.money.minorUnits)")
        }
        let parts: [Money]
        do {
            parts = try event.money.split(basisPoints: event.partsBps)
        } catch {
            throw FunctionError(.validation, "parts_bps: \(error.description)", field: "parts_bps")
        }
        let source: String
        switch context.source {
        case .direct: source = "direct"
        case .httpAPI: source = "http"
        case .eventBridge: source = "eventbridge"
        case .webSocket: source = "websocket"
        }
        var output = Output(
            amount: event.money.minorUnits, currency: event.money.currency.code, parts: parts.map(\.minorUnits),
            requestId: context.requestID, source: source)
        if let names = event.echoEnvironment {
            var values: [String: String] = [:]
            for name in names { values[name] = getenv(name).map { String(cString: $0) } ?? "" }
            output.environment = values
        }
        if event.echoRemaining == true {
            let (seconds, attoseconds) = context.remainingTime.components
            output.remainingMs = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        }
        if event.echoIdentity == true, let identity = context.identity {
            output.identity = [
                "kind": identity.kind == .token ? "token" : "api_key", "subject": identity.subject,
                "role": identity.role ?? "", "merchant_id": identity.merchantID ?? "",
                "customer_id": identity.customerID ?? "",
            ]
            output.scopes = identity.scopes
            if case .httpAPI(let request) = context.source {
                output.claims = request.requestContext["authorizer"]?["jwt"]?["claims"]
            }
        }
        if let responseBytes = event.responseBytes {
            output.padding = String(repeating: "x", count: responseBytes)
        }
        return output
    }
}

/// An unexpected failure, to show that its details are not leaked.
struct SplitFailure: Error, CustomStringConvertible {
    var description: String { "secret internal detail" }
}
