import NIOCore
import NIOHTTP1
import SmartPayCore
import SmartPayTemplate

/// The Lambda Runtime API (2018-06-01) of one function process, as a channel handler: requests are answered on the
/// connection's event loop, and an invocation's result completes its caller straight from here. No task, actor or
/// thread hop sits between the process's answer and the invocation it belongs to — on a warm invocation these
/// hops cost more than the HTTP itself (see Tests/Benchmarks/results/runtime.txt).
final class RuntimeAPIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Lambda's 6 MB response limit plus room for the envelope.
    static let bodyLimit = 6 * 1024 * 1024 + 1024
    private static let base = "/2018-06-01/runtime"
    private static let accepted = ByteBuffer(string: #"{"status":"OK"}"#)

    private let process: FunctionProcess
    private let connection: Int
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false

    init(process: FunctionProcess, connection: Int) {
        self.process = process
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            tooLarge = false
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > Self.bodyLimit {
                tooLarge = true
                body = nil
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            route(context: context, head: head, body: body ?? ByteBuffer())
            body = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        process.connectionClosed(connection)
        context.fireChannelInactive()
    }

    private func route(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard path.hasPrefix(Self.base) else { return notFound(context: context, head: head) }
        let rest = path.dropFirst(Self.base.count)
        switch (head.method, rest) {
        case (.GET, "/invocation/next"):
            let loop = context.eventLoop
            let bound = NIOLoopBound(context, eventLoop: loop)
            let arn = process.spec.arn
            process.next(connection: connection) { pending in
                if loop.inEventLoop {
                    Self.deliver(pending, arn: arn, context: bound.value, head: head)
                } else {
                    loop.execute { Self.deliver(pending, arn: arn, context: bound.value, head: head) }
                }
            }
        case (.POST, "/init/error"):
            process.failInitialization(
                type: errorType(head, default: "Runtime.InitError"), document: Array(buffer: body))
            Self.write(context: context, head: head, status: .accepted, body: Self.accepted)
        case (.POST, _) where rest.hasPrefix("/invocation/"):
            let parts = rest.split(separator: "/")
            guard parts.count == 3, parts[2] == "response" || parts[2] == "error" else {
                return notFound(context: context, head: head)
            }
            let requestID = String(parts[1])
            let outcome: InvocationOutcome
            if tooLarge {
                let document = InvocationOutcome.document(
                    type: "Function.ResponseSizeTooLarge",
                    message: "Response payload size exceeded maximum allowed payload size (6291556 bytes).")
                outcome = .functionError(type: "Function.ResponseSizeTooLarge", document: document)
            } else if parts[2] == "response" {
                outcome = .response(Array(buffer: body))
            } else {
                outcome = .functionError(type: errorType(head, default: "Unhandled"), document: Array(buffer: body))
            }
            guard process.respond(requestID, outcome) else {
                let document = ByteBuffer(
                    string: #"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#)
                return Self.write(context: context, head: head, status: .badRequest, body: document)
            }
            if tooLarge { return Self.write(context: context, head: head, status: .payloadTooLarge, body: nil) }
            Self.write(context: context, head: head, status: .accepted, body: Self.accepted)
        default:
            notFound(context: context, head: head)
        }
    }

    private func errorType(_ head: HTTPRequestHead, default fallback: String) -> String {
        head.headers.first(name: "Lambda-Runtime-Function-Error-Type") ?? fallback
    }

    private func notFound(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let document = JSONValue.object([
            "errorMessage": .string("no such Runtime API path: \(head.method.rawValue) \(head.uri)"),
            "errorType": .string("NotFound"),
        ])
        Self.write(context: context, head: head, status: .notFound, body: ByteBuffer(bytes: document.serialized()))
    }

    /// Answers a waiting `next` with the invocation, or 410 when the process is being stopped.
    private static func deliver(
        _ pending: FunctionProcess.Pending?, arn: String, context: ChannelHandlerContext, head: HTTPRequestHead
    ) {
        guard let pending else { return write(context: context, head: head, status: .gone, body: nil) }
        var headers = HTTPHeaders()
        headers.reserveCapacity(6)
        headers.add(name: "Lambda-Runtime-Aws-Request-Id", value: pending.requestID)
        headers.add(name: "Lambda-Runtime-Deadline-Ms", value: String(pending.deadlineMilliseconds))
        headers.add(name: "Lambda-Runtime-Invoked-Function-Arn", value: arn)
        if let traceID = pending.traceID { headers.add(name: "Lambda-Runtime-Trace-Id", value: traceID) }
        headers.add(name: "Content-Type", value: "application/json")
        var body = context.channel.allocator.buffer(capacity: pending.payload.count)
        body.writeBytes(pending.payload)
        write(context: context, head: head, status: .ok, headers: headers, body: body)
    }

    private static func write(
        context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus,
        headers: HTTPHeaders = HTTPHeaders(), body: ByteBuffer?
    ) {
        var headers = headers
        headers.add(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            NIOAny(
                HTTPServerResponsePart.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil)
        if let body, body.readableBytes > 0 {
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }
}
