import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SmartPayBus
import SmartPayContracts
import SmartPayCore

/// EventBridge's JSON 1.1 API on the AWS-compatible endpoint (`POST /` with `X-Amz-Target: AWSEvents.…`):
/// `PutEvents` and `TestEventPattern`, so `aws events put-events --endpoint-url …` works.
struct EventsEndpoint: Sendable {
    let admin: BusAdmin

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/") { request, _ -> Response in
            let target = request.headers[.init("X-Amz-Target")!] ?? ""
            guard let body = try? await request.body.collect(upTo: 1024 * 1024 * 4),
                let json = try? JSONParser().parse(Array(buffer: body)), case .object = json
            else {
                return Self.error(.badRequest, "SerializationException", "the request body must be a JSON object")
            }
            switch target {
            case "AWSEvents.PutEvents":
                let entries: [PutEvents.Entry]
                do {
                    entries = try JSONValueDecoder(keyStrategy: .useDefaultKeys).decode(
                        [PutEvents.Entry].self, from: json["Entries"] ?? .array([]))
                } catch {
                    return Self.error(.badRequest, "SerializationException", "Entries: \(error)")
                }
                do {
                    let results = try await admin.put(entries)
                    return Self.json(PutEvents.response(results))
                } catch let error as PutEvents.ValidationError {
                    return Self.error(.badRequest, "ValidationException", error.message)
                } catch {
                    return Self.error(.internalServerError, "InternalException", "cannot reach the bus: \(error)")
                }
            case "AWSEvents.TestEventPattern":
                guard let pattern = json["EventPattern"]?.stringValue, let event = json["Event"]?.stringValue else {
                    return Self.error(
                        .badRequest, "ValidationException", "EventPattern and Event are required strings")
                }
                do throws(BusCommandError) {
                    let result = try BusAdmin.testPattern(pattern: pattern, event: event)
                    return Self.json(.object(["Result": .bool(result)]))
                } catch {
                    return Self.error(.badRequest, error.code, error.message)
                }
            default:
                return Self.error(
                    .badRequest, "UnknownOperationException",
                    "X-Amz-Target \(target.isEmpty ? "(missing)" : target) is not an operation this endpoint serves (AWSEvents.PutEvents, AWSEvents.TestEventPattern)"
                )
            }
        }
    }

    static func json(_ value: JSONValue) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/x-amz-json-1.1"],
            body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }

    /// AWS JSON 1.1's error: `__type` and `message`.
    static func error(_ status: HTTPResponse.Status, _ type: String, _ message: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/x-amz-json-1.1", .init("x-amzn-ErrorType")!: type],
            body: .init(
                byteBuffer: ByteBuffer(
                    bytes: JSONValue.object(["__type": .string(type), "message": .string(message)]).serialized())))
    }
}
