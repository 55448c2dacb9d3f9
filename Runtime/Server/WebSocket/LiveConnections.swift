import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import SmartPayCore
import Synchronization

/// One open WebSocket connection as the gateway holds it: its socket's writer and what API Gateway reports about
/// it (`GET /@connections/{id}`).
final class LiveConnection: Sendable {
    let id: String
    let connectedAt: Timestamp
    let sourceIP: String
    let userAgent: String
    /// `requestContext.authorizer` for every route of this connection (API Gateway passes `$connect`'s on).
    let authorizer: JSONValue
    let outbound: WebSocketOutboundWriter
    private let lastActive: Atomic<Int64>
    /// Why the gateway closed it (idle, duration, DELETE), for `$disconnect`'s `disconnectReason`.
    let closedBy = Mutex<(code: Int, reason: String)?>(nil)

    init(
        id: String, connectedAt: Timestamp, sourceIP: String, userAgent: String, authorizer: JSONValue,
        outbound: WebSocketOutboundWriter
    ) {
        self.id = id
        self.connectedAt = connectedAt
        self.sourceIP = sourceIP
        self.userAgent = userAgent
        self.authorizer = authorizer
        self.outbound = outbound
        lastActive = Atomic(connectedAt.millisecondsSinceEpoch)
    }

    var lastActiveAt: Timestamp { Timestamp(millisecondsSinceEpoch: lastActive.load(ordering: .relaxed)) }

    /// Marks activity now; returns the previous mark.
    @discardableResult
    func touch(_ now: Timestamp = .now()) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: lastActive.exchange(now.millisecondsSinceEpoch, ordering: .relaxed))
    }

    /// Sends a text frame when the bytes are UTF-8 (what API Gateway's PostToConnection does), else binary.
    func send(_ bytes: [UInt8]) async throws {
        if let text = String(validating: bytes, as: UTF8.self) {
            try await outbound.write(.text(text))
        } else {
            try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
        }
    }

    /// Closes with a code and reason (the client sees a close frame; `$disconnect` runs when the socket ends).
    func close(code: WebSocketErrorCode, reason: String) async {
        closedBy.withLock { if $0 == nil { $0 = (Int(UInt16(webSocketErrorCode: code)), reason) } }
        try? await outbound.close(code, reason: reason)
    }
}

/// The gateway's open connections by id.
final class LiveConnections: Sendable {
    private let table = Mutex<[String: LiveConnection]>([:])

    var count: Int { table.withLock { $0.count } }

    func add(_ connection: LiveConnection) { table.withLock { $0[connection.id] = connection } }

    func remove(_ id: String) { _ = table.withLock { $0.removeValue(forKey: id) } }

    subscript(id: String) -> LiveConnection? { table.withLock { $0[id] } }

    var all: [LiveConnection] { table.withLock { Array($0.values) } }
}
