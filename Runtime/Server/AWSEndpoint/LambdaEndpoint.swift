import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SmartPayCore
import SmartPayTemplate

/// The AWS-compatible endpoint: the Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`) with the
/// `RequestResponse`, `Event` and `DryRun` invocation types, RIE's `function` path, and AWS's error shapes, so the
/// AWS CLI and SDKs work against it with `--endpoint-url`.
struct LambdaEndpoint: Sendable {
    let invoker: any FunctionInvoker

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/2015-03-31/functions/:name/invocations") { request, context -> Response in
            let requested = context.parameters.get("name") ?? ""
            guard let name = invoker.resolve(functionName: requested) else {
                return Self.error(
                    .notFound, "ResourceNotFoundException",
                    "Function not found: arn:aws:lambda:\(TemplateParser.region):\(TemplateParser.account):function:\(requested)"
                )
            }
            guard let body = try? await request.body.collect(upTo: HTTPAPI.maximumBodyBytes) else {
                return Self.error(
                    .contentTooLarge, "RequestTooLargeException",
                    "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
            }
            let payload = body.readableBytes == 0 ? Array("{}".utf8) : Array(buffer: body)
            switch request.headers[.init("X-Amz-Invocation-Type")!] ?? "RequestResponse" {
            case "DryRun":
                return Response(status: .noContent)
            case "Event":
                invoker.invokeAsynchronously(function: name, payload: payload)
                return Response(status: .accepted, headers: [.init("X-Amz-Executed-Version")!: "$LATEST"])
            case "RequestResponse":
                do {
                    let record = try await invoker.invoke(
                        function: name, payload: payload, traceID: request.headers[.init("X-Amzn-Trace-Id")!])
                    var headers: HTTPFields = [
                        .contentType: "application/json", .init("X-Amz-Executed-Version")!: "$LATEST",
                    ]
                    headers[.init("X-Amzn-RequestId")!] = record.requestID
                    if !record.outcome.isSuccess { headers[.init("X-Amz-Function-Error")!] = "Unhandled" }
                    return Response(
                        status: .ok, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: record.outcome.payload(requestID: record.requestID))))
                } catch FunctionPool.Refusal.tooManyRequests(let message) {
                    return Self.error(.tooManyRequests, "TooManyRequestsException", message)
                } catch {
                    return Self.error(.serviceUnavailable, "ServiceException", "the runtime is shutting down")
                }
            case let other:
                return Self.error(
                    .badRequest, "InvalidParameterValueException",
                    "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun, got \(other)")
            }
        }
    }

    /// AWS's REST-JSON error: the type in `x-amzn-ErrorType` and the body.
    static func error(_ status: HTTPResponse.Status, _ type: String, _ message: String) -> Response {
        let body =
            JSONValue.object(["Type": .string("User"), "__type": .string(type), "message": .string(message)])
            .serialized()
        return Response(
            status: status,
            headers: [.contentType: "application/json", .init("x-amzn-ErrorType")!: type],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
