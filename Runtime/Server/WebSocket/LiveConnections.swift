import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import SmartPayCore
import Synchronization

/// One open WebSocket connection as the WebSocket API holds it: its socket's writer and what API Gateway reports about
/// it (`GET /@connections/{id}`).
final class LiveConnection: Sendable {
    let id: String
    let connectedAt: Timestamp
    let sourceIP: String
    let userAgent: String
    /// `requestContext.authorizer` for every route of this connection (API Gateway passes `$connect`'s on).
    let authorizer: JSONValue
    let outbound: WebSocketOutboundWriter
    /// The socket itself: posted data is written to it as a frame on its event loop, beside the handler's writer.
    let channel: any Channel
    private let lastActive: Atomic<Int64>
    /// Why the WebSocket API closed it (idle, duration, DELETE), for `$disconnect`'s `disconnectReason`.
    let closedBy = Mutex<(code: Int, reason: String)?>(nil)

    init(
        id: String, connectedAt: Timestamp, sourceIP: String, userAgent: String, authorizer: JSONValue,
        outbound: WebSocketOutboundWriter, channel: any Channel
    ) {
        self.id = id
        self.connectedAt = connectedAt
        self.sourceIP = sourceIP
        self.userAgent = userAgent
        self.authorizer = authorizer
        self.outbound = outbound
        self.channel = channel
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
        try await channel.writeAndFlush(Self.frame(bytes))
    }

    static func frame(_ bytes: [UInt8]) -> WebSocketFrame {
        let text = String(validating: bytes, as: UTF8.self) != nil
        return WebSocketFrame(fin: true, opcode: text ? .text : .binary, data: ByteBuffer(bytes: bytes))
    }

    /// Writes one frame to many connections: one task per event loop writes to all of its sockets and flushes each
    /// (the frame's bytes are shared, not copied). Returns the ids whose socket was no longer open.
    static func broadcast(_ frame: WebSocketFrame, to connections: [LiveConnection]) async -> [String] {
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, connections: [LiveConnection])] = [:]
        for connection in connections {
            let loop = connection.channel.eventLoop
            byLoop[ObjectIdentifier(loop), default: (loop, [])].connections.append(connection)
        }
        var gone: [String] = []
        for (loop, group) in byLoop.values.map({ ($0.loop, $0.connections) }) {
            let closed = loop.submit { () -> [String] in
                var closed: [String] = []
                for connection in group {
                    guard connection.channel.isActive else {
                        closed.append(connection.id)
                        continue
                    }
                    connection.channel.writeAndFlush(frame, promise: nil)
                }
                return closed
            }
            gone += (try? await closed.get()) ?? group.map(\.id)
        }
        return gone
    }

    /// Closes with a code and reason (the client sees a close frame; `$disconnect` runs when the socket ends).
    func close(code: WebSocketErrorCode, reason: String) async {
        closedBy.withLock { if $0 == nil { $0 = (Int(UInt16(webSocketErrorCode: code)), reason) } }
        try? await outbound.close(code, reason: reason)
    }
}

/// The WebSocket API's open connections by id.
final class LiveConnections: Sendable {
    private let table = Mutex<[String: LiveConnection]>([:])

    func add(_ connection: LiveConnection) { table.withLock { $0[connection.id] = connection } }

    func remove(_ id: String) { _ = table.withLock { $0.removeValue(forKey: id) } }

    subscript(id: String) -> LiveConnection? { table.withLock { $0[id] } }

    var all: [LiveConnection] { table.withLock { Array($0.values) } }
}
