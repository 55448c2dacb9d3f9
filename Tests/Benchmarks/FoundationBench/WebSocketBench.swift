import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOPosix
import SmartPayContracts
import SmartPayCore
import SmartPayHTTP
import SmartPayRedis
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `smartpay-bench websocket-fanout`: N connections to serve's WebSocket API, all subscribed to one merchant's
/// topic; then one `payment.processed` fanned out to all, R times, each way in turn: through the bus (PutEvents →
/// websocket-publish → the management API), websocket-publish invoked directly, and one batch POST to
/// `@connections`; and, for the API Gateway-compatible path, one POST per connection. Each message carries the
/// time it was sent; each client notes when it arrived. Prints accept rate, memory per connection and the delivery
/// percentiles over every (connection, round).
func webSocketFanout(
    webSocket: String, aws: String, token: String, merchant: String, connections: Int, rounds: Int, servePID: Int32,
    redisURL: String?
) async throws {
    let logger = Logger(label: "bench")
    let state = FanoutState()
    let rssBefore = residentKilobytes(servePID)
    let group = MultiThreadedEventLoopGroup.singleton
    let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 16)
    let url = "\(webSocket)/?token=\(token)"
    let subscribe = #"{"action": "subscribe", "topics": ["merchant:\#(merchant)"]}"#

    // Connect in waves of 200 at once, like clients arriving.
    let started = ContinuousClock.now
    let clients = Task {
        await withTaskGroup(of: Void.self) { tasks in
            var launched = 0
            while launched < connections {
                let wave = min(200, connections - launched)
                for _ in 0..<wave {
                    tasks.addTask {
                        do {
                            try await WebSocketClient.connect(
                                url: url, configuration: configuration, eventLoopGroup: group, logger: logger
                            ) { inbound, outbound, _ in
                                try await outbound.write(.text(subscribe))
                                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                                guard case .text(let answer)? = try await messages.next(), answer.contains("subscribed")
                                else {
                                    state.failures.add(1, ordering: .relaxed)
                                    return
                                }
                                state.connected.add(1, ordering: .relaxed)
                                while let message = try await messages.next() {
                                    let now = wallNanoseconds()
                                    guard case .text(let text) = message, let sent = sentAt(text) else { continue }
                                    state.arrivals.withLock { $0.append(now - sent) }
                                    if state.stop.load(ordering: .relaxed) { break }
                                }
                            }
                        } catch {
                            state.failures.add(1, ordering: .relaxed)
                        }
                    }
                }
                launched += wave
                while state.connected.load(ordering: .relaxed) + state.failures.load(ordering: .relaxed) < launched - 50
                {
                    try? await Task.sleep(for: .milliseconds(2))
                }
            }
            for await _ in tasks {}
        }
    }
    while state.connected.load(ordering: .relaxed) + state.failures.load(ordering: .relaxed) < connections {
        try await Task.sleep(for: .milliseconds(5))
    }
    let accepting = ContinuousClock.now - started
    let open = state.connected.load(ordering: .relaxed)
    print("websocket_connections_open \(open) connections (\(state.failures.load(ordering: .relaxed)) failed)")
    report("websocket_connect_and_subscribe", operations: open, elapsed: accepting)
    try await Task.sleep(for: .seconds(1))
    let rssAfter = residentKilobytes(servePID)
    if open > 0 {
        print("websocket_serve_memory_per_connection \((rssAfter - rssBefore) * 1024 / open) bytes")
    }
    print("websocket_serve_rss \(rssAfter / 1024) MiB with \(open) connections (\(rssBefore / 1024) MiB before)")

    let http = HTTPClient()
    /// A `payment.processed` detail in full, as pay publishes it (websocket-publish reads it as the contract type),
    /// with the time it was sent beside it; the merchant hears the event as published, `sent_ns` included.
    func event(_ round: Int) throws -> String {
        let payment = PaymentProcessed(
            paymentID: "pay_bench_\(round)", merchantID: merchant, customerID: "c_bench", amount: 2599, currency: .usd,
            status: .succeeded, fee: 105, net: 2494, paymentMethod: "card", processorError: false, attempts: 1)
        var detail = try JSONValueEncoder().encode(payment)
        if case .object(var members) = detail {
            members["sent_ns"] = .number(String(wallNanoseconds()))
            detail = .object(members)
        }
        return detail.serializedString
    }
    func waitForRound(_ expected: Int) async -> Int {
        let deadline = ContinuousClock.now + .seconds(20)
        while state.arrivals.withLock({ $0.count }) < expected && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
        return state.arrivals.withLock { $0.count }
    }

    let ways: [(String, (Int) async throws -> Void)] = [
        (
            "bus",
            { round in
                let entry = JSONValue.object([
                    "Source": .string("smartpay.pay"), "DetailType": .string("payment.processed"),
                    "Detail": .string(try event(round)),
                ])
                let body = JSONValue.object(["Entries": .array([entry])]).serialized()
                _ = try await http.execute(
                    HTTPClientRequest(
                        method: "POST", url: aws + "/",
                        headers: [
                            ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "AWSEvents.PutEvents"),
                        ], body: body))
            }
        ),
        (
            "function",
            { round in
                let body = Array(#"{"detail-type": "payment.processed", "detail": \#(try event(round))}"#.utf8)
                _ = try await http.execute(
                    HTTPClientRequest(
                        method: "POST", url: aws + "/2015-03-31/functions/websocket-publish/invocations",
                        headers: [("Content-Type", "application/json")], body: body, timeout: .seconds(60)))
            }
        ),
    ]
    var allWays = ways
    if let redisURL {
        // The gateway alone: one batch POST to @connections with every subscriber (read from the registry).
        let redis = try RedisClient(url: redisURL)
        guard case .array(let members) = try await redis.send("SMEMBERS", "smartpay:ws:topic:merchant:\(merchant)")
        else { throw BenchError("no subscribers in Redis") }
        let ids = JSONValue.array(members.compactMap { $0.string.map(JSONValue.string) })
        allWays.append(
            (
                "management_batch",
                { round in
                    let data = #"{"type": "payment_processed", "data": \#(try event(round))}"#
                    let body = JSONValue.object(["connectionIds": ids, "data": .string(data)]).serialized()
                    _ = try await http.execute(
                        HTTPClientRequest(
                            method: "POST", url: aws + "/@connections", headers: [("Content-Type", "application/json")],
                            body: body, timeout: .seconds(60)))
                }
            ))
    }
    var summary: [String] = []
    for (name, send) in allWays {
        var all: [Int64] = []
        var handed: [Int64] = []
        for round in 0..<rounds {
            state.arrivals.withLock { $0.removeAll(keepingCapacity: true) }
            let sent = wallNanoseconds()
            try await send(round)
            handed.append(wallNanoseconds() - sent)
            let got = await waitForRound(open)
            all += state.arrivals.withLock { $0 }
            if got < open { print("  \(name) round \(round): \(got) of \(open) arrived in 20 s") }
            try await Task.sleep(for: .milliseconds(300))
        }
        summary.append(percentiles("websocket_fanout_\(name)", all, expected: open * rounds))
        if name == "function" || name == "management_batch" {
            // The invocation returns once every frame was handed to its socket: the server's share.
            summary.append(percentiles("websocket_fanout_\(name)_returned", handed, expected: rounds))
        }
    }
    for line in summary { print(line) }
    state.stop.store(true, ordering: .relaxed)
    clients.cancel()
}

/// What the clients share.
final class FanoutState: Sendable {
    let arrivals = Mutex<[Int64]>([])
    let connected = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
}

/// `name p50 … p99 … max … ms (count)` over latencies in nanoseconds.
func percentiles(_ name: String, _ values: [Int64], expected: Int) -> String {
    guard !values.isEmpty else { return "\(name) no deliveries" }
    let sorted = values.sorted()
    func at(_ q: Double) -> String {
        let value = Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1e6
        return String(format: "%.1f", value)
    }
    return
        "\(name)_delivery p50 \(at(0.5)) ms, p99 \(at(0.99)) ms, max \(at(1.0)) ms (\(values.count) of \(expected) deliveries)"
}

func wallNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

/// The `sent_ns` a message's data carries.
func sentAt(_ text: String) -> Int64? {
    guard let range = text.range(of: "\"sent_ns\":") else { return nil }
    return Int64(text[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber })
}

func residentKilobytes(_ pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return 0 }
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
