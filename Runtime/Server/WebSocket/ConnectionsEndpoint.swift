import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import SmartPayCore

/// API Gateway's management API for WebSocket connections — `POST /@connections/{id}` (send), `GET` (connectedAt,
/// identity, lastActiveAt), `DELETE` (close, 204) — as AWS documents it: a closed or unknown connection is 410
/// `GoneException`, data over 128 KB is 413 `PayloadTooLargeException`. Served on the AWS-compatible endpoint (the
/// AWS CLI's `apigatewaymanagementapi` with `--endpoint-url`) and on the WebSocket port itself, where
/// `https://{domainName}/{stage}` points, with or without the stage in the path.
struct ConnectionsEndpoint: Sendable {
    let server: WebSocketAPIServer

    func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        for prefix in ["", "/:stage"] {
            router.post("\(prefix)/@connections") { request, _ in try await postBatch(request) }
            router.post("\(prefix)/@connections/:connectionId") { request, context in
                try await post(request, id: context.parameters.get("connectionId") ?? "")
            }
            router.get("\(prefix)/@connections/:connectionId") { _, context in
                get(id: context.parameters.get("connectionId") ?? "")
            }
            router.delete("\(prefix)/@connections/:connectionId") { _, context in
                await delete(id: context.parameters.get("connectionId") ?? "")
            }
        }
    }

    private func post(_ request: Request, id: String) async throws -> Response {
        let limit = server.options.maximumMessageBytes
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch {
            return LambdaEndpoint.error(
                .contentTooLarge, "PayloadTooLargeException", "Data exceeds the maximum of \(limit) bytes")
        }
        guard let connection = server.connections[Self.decoded(id)] else { return Self.gone(id) }
        do {
            try await connection.send(Array(buffer: body))
        } catch {
            return Self.gone(id)
        }
        connection.touch()
        return Response(status: .ok)
    }

    /// Our extension for fan-out (API Gateway has none, so a function uses it only when its template entry says
    /// `WEBSOCKET_BATCH_POST=on` in `Metadata.SmartPay.LocalEnvironment`): `{"connectionIds": [...], "data": "text"}` (or `"dataBase64"`) sends the same
    /// data to up to 10,000 connections in one request and answers `{"delivered": n, "gone": [ids]}`.
    private func postBatch(_ request: Request) async throws -> Response {
        let limit = server.options.maximumMessageBytes
        guard let body = try? await request.body.collect(upTo: Self.maximumBatchBytes),
            case .object(let fields)? = try? JSONParser().parse(Array(buffer: body)),
            case .array(let idValues)? = fields["connectionIds"]
        else {
            return LambdaEndpoint.error(
                .badRequest, "BadRequestException",
                "expected {\"connectionIds\": [...], \"data\": \"...\"} under \(Self.maximumBatchBytes) bytes")
        }
        let ids = idValues.compactMap(\.stringValue)
        guard ids.count == idValues.count, ids.count <= Self.maximumBatchConnections else {
            return LambdaEndpoint.error(
                .badRequest, "BadRequestException",
                "connectionIds: up to \(Self.maximumBatchConnections) strings")
        }
        let data: [UInt8]
        if let text = fields["data"]?.stringValue {
            data = Array(text.utf8)
        } else if let encoded = fields["dataBase64"]?.stringValue, let decoded = Data(base64Encoded: encoded) {
            data = Array(decoded)
        } else {
            return LambdaEndpoint.error(.badRequest, "BadRequestException", "data (text) or dataBase64 is required")
        }
        guard data.count <= limit else {
            return LambdaEndpoint.error(
                .contentTooLarge, "PayloadTooLargeException", "Data exceeds the maximum of \(limit) bytes")
        }
        var live: [LiveConnection] = []
        var gone: [String] = []
        for id in ids {
            if let connection = server.connections[id] { live.append(connection) } else { gone.append(id) }
        }
        gone += await LiveConnection.broadcast(LiveConnection.frame(data), to: live)
        let now = Timestamp.now()
        for connection in live { connection.touch(now) }
        let answer = JSONValue.object([
            "delivered": .number(String(ids.count - gone.count)), "gone": .array(gone.map { .string($0) }),
        ])
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: answer.serialized())))
    }

    static let maximumBatchConnections = 10_000
    static let maximumBatchBytes = 2 * 1024 * 1024

    private func get(id: String) -> Response {
        guard let connection = server.connections[Self.decoded(id)] else { return Self.gone(id) }
        let body = JSONValue.object([
            "connectedAt": .string(connection.connectedAt.description),
            "identity": .object([
                "sourceIp": .string(connection.sourceIP), "userAgent": .string(connection.userAgent),
            ]),
            "lastActiveAt": .string(connection.lastActiveAt.description),
        ])
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body.serialized())))
    }

    private func delete(id: String) async -> Response {
        guard let connection = server.connections[Self.decoded(id)] else { return Self.gone(id) }
        server.connections.remove(connection.id)
        await connection.close(code: .normalClosure, reason: "Connection deleted through the management API")
        return Response(status: .noContent)
    }

    private static func gone(_ id: String) -> Response {
        LambdaEndpoint.error(.gone, "GoneException", "connection \(decoded(id)) is gone (closed or never opened)")
    }

    private static func decoded(_ id: String) -> String { id.removingPercentEncoding ?? id }
}
