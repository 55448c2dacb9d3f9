import SmartPayBus
import SmartPayCore
import SmartPayRedis

// smartpay-bench: the foundation's throughput figures, printed one per line as `name value unit`.
//
//   smartpay-bench redis PORT [REQUESTS]   GET round trips against a redis-server on 127.0.0.1:PORT
//   smartpay-bench json [ROWS]              parse + decode of a payment-sized event
//   smartpay-bench bus REDIS_URL METRICS_URL COUNT [RATE]   the event bus end to end against `smartpay serve`
//   smartpay-bench fraud-model MODEL PARITY [ROUNDS]        the fraud model and feature code alone, one thread
//   smartpay-bench solana-sign [COUNT]                      Solana mint transactions built and signed, one thread
//   smartpay-bench reward-ledger REDIS_URL COUNT            rewards earned and minted (ledger) through serve's bus
//   smartpay-bench ledger-hot|ledger-chain|ledger-verify REDIS_URL N   the ledger (see LedgerBench.swift)
//   smartpay-bench websocket-fanout WS AWS TOKEN N ROUNDS MERCHANT PID   one event to N WebSocket connections
#if canImport(Glibc)
    import Glibc
#endif

func seconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) / 1e18
}

func report(_ name: String, operations: Int, elapsed: Duration) {
    let rate = Double(operations) / seconds(elapsed)
    print("\(name) \(Int(rate.rounded())) ops/s")
}

func redis(port: Int, requests: Int) async throws {
    let configuration = RedisConfiguration(host: "127.0.0.1", port: port)
    let connection = RedisConnection(configuration: configuration)
    _ = try connection.send(["SET", "key:__rand_int__", "xxx"])
    let get: [[UInt8]] = [Array("GET".utf8), Array("key:__rand_int__".utf8)]

    // One connection, one command at a time, on the calling thread.
    var clock = ContinuousClock.now
    for _ in 0..<requests { _ = try connection.send(get) }
    report("redis_get_sync_1conn", operations: requests, elapsed: ContinuousClock.now - clock)

    // Pipelined 16 deep on one connection.
    let batch = Array(repeating: get, count: 16)
    clock = ContinuousClock.now
    for _ in 0..<(requests / 16) { _ = try connection.pipeline(batch) }
    report("redis_get_sync_1conn_p16", operations: requests / 16 * 16, elapsed: ContinuousClock.now - clock)

    // The async client with one connection: each await hops to the client's I/O thread and back.
    let single = RedisClient(configuration: configuration, maximumConnections: 1)
    clock = ContinuousClock.now
    for _ in 0..<requests { _ = try await single.send(bytes: get) }
    report("redis_get_async_1conn", operations: requests, elapsed: ContinuousClock.now - clock)

    // The async client under concurrency, as redis-benchmark's 50 clients run.
    for (callers, connections) in [(50, 8), (50, 50)] {
        let pooled = RedisClient(configuration: configuration, maximumConnections: connections)
        let perCaller = requests / callers
        clock = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask { for _ in 0..<perCaller { _ = try await pooled.send(bytes: get) } }
            }
            try await group.waitForAll()
        }
        report(
            "redis_get_async_\(callers)callers_\(connections)conn", operations: perCaller * callers,
            elapsed: ContinuousClock.now - clock)
    }
}

/// Pipelines of 16 from 50 concurrent callers, as redis-benchmark -P 16 runs its 50 clients.
func redisConcurrentPipelines(port: Int, requests: Int) async throws {
    let configuration = RedisConfiguration(host: "127.0.0.1", port: port)
    let get: [[UInt8]] = [Array("GET".utf8), Array("key:__rand_int__".utf8)]
    let batch = Array(repeating: get, count: 16)
    let pooled = RedisClient(configuration: configuration, maximumConnections: 50)
    let batches = requests / 16 / 50
    let clock = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<50 {
            group.addTask {
                for _ in 0..<batches {
                    _ = try await pooled.withConnection { connection throws(RedisError) in
                        try connection.pipeline(batch)
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    report("redis_get_async_50callers_50conn_p16", operations: batches * 50 * 16, elapsed: ContinuousClock.now - clock)
}

func json(rows: Int) throws {
    struct Payment: Decodable {
        let money: Money
        let customerId: String
        let paymentMethod: [String: String]
        init(from decoder: any Decoder) throws {
            money = try Money(from: decoder)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            customerId = try container.decode(String.self, forKey: .customerId)
            paymentMethod = try container.decode([String: String].self, forKey: .paymentMethod)
        }
        enum CodingKeys: String, CodingKey { case customerId, paymentMethod }
    }
    let text = Array(
        #"{"amount": 2000, "currency": "USD", "customer_id": "c_7", "merchant_id": "m_42", "payment_method": {"type": "card", "token": "pm_card_visa"}, "description": "order 1234", "metadata": {"order": "1234"}}"#
            .utf8)
    let decoder = JSONValueDecoder()
    let clock = ContinuousClock.now
    var total: Int64 = 0
    for _ in 0..<rows { total &+= try decoder.decode(Payment.self, from: text).money.minorUnits }
    report("json_parse_decode_payment", operations: rows, elapsed: ContinuousClock.now - clock)
    if total == 42 { print("") }
}

/// A typical rule (the reward function's) against a payment.processed event, on one core.
func patterns(rounds: Int) throws {
    let rule = try EventPattern(
        text:
            #"{"source": ["smartpay.pay"], "detail-type": ["payment.processed"], "detail": {"status": ["succeeded"], "amount_minor": [{"numeric": [">", 0]}], "currency": [{"anything-but": ["SOL"]}]}}"#
    )
    let event = try JSONParser().parse(
        #"{"version": "0", "id": "evt_1", "detail-type": "payment.processed", "source": "smartpay.pay", "account": "000000000000", "time": "2026-11-22T10:15:30Z", "region": "us-east-1", "resources": [], "detail": {"payment_id": "pay_1", "status": "succeeded", "amount_minor": 2000, "currency": "USD", "gateway": "stripe", "risk": {"score": 0.12, "tier": "low"}}}"#
    )
    var matched = 0
    let clock = ContinuousClock.now
    for _ in 0..<rounds where rule.matches(event) { matched += 1 }
    report("event_pattern_match_typical_rule", operations: rounds, elapsed: ContinuousClock.now - clock)
    if matched != rounds { print("unexpected: \(matched) of \(rounds) matched") }
}

let arguments = CommandLine.arguments
switch arguments.count > 1 ? arguments[1] : "" {
case "redis":
    guard arguments.count > 2, let port = Int(arguments[2]) else {
        print("usage: smartpay-bench redis PORT [REQUESTS]")
        exit(2)
    }
    let requests = arguments.count > 3 ? Int(arguments[3]) ?? 100_000 : 100_000
    try await redis(port: port, requests: requests)
    try await redisConcurrentPipelines(port: port, requests: requests * 4)
case "patterns":
    try patterns(rounds: arguments.count > 2 ? Int(arguments[2]) ?? 2_000_000 : 2_000_000)
case "json":
    try json(rows: arguments.count > 2 ? Int(arguments[2]) ?? 200_000 : 200_000)
case "bus":
    guard arguments.count > 4, let count = Int(arguments[4]) else {
        print("usage: smartpay-bench bus REDIS_URL METRICS_URL COUNT [RATE]")
        exit(2)
    }
    try await busEndToEnd(
        redisURL: arguments[2], metricsURL: arguments[3], count: count,
        rate: arguments.count > 5 ? Int(arguments[5]) ?? 0 : 0)
case "bus-engine":
    guard arguments.count > 4, let count = Int(arguments[4]) else {
        print("usage: smartpay-bench bus-engine REDIS_URL TEMPLATE COUNT")
        exit(2)
    }
    try await busEngineAlone(redisURL: arguments[2], template: arguments[3], count: count)
case "fraud-model":
    guard arguments.count > 3 else {
        print("usage: smartpay-bench fraud-model MODEL.json PARITY.csv [ROUNDS]")
        exit(2)
    }
    try fraudModel(
        modelPath: arguments[2], fixturePath: arguments[3],
        rounds: arguments.count > 4 ? Int(arguments[4]) ?? 50 : 50)
case "fraud-handler":
    guard arguments.count > 3 else {
        print("usage: smartpay-bench fraud-handler MODEL.json REDIS_URL [COUNT]")
        exit(2)
    }
    try await fraudHandler(
        modelPath: arguments[2], redisURL: arguments[3],
        count: arguments.count > 4 ? Int(arguments[4]) ?? 20_000 : 20_000)
case "reward-ledger":
    guard arguments.count > 3, let count = Int(arguments[3]) else {
        print("usage: smartpay-bench reward-ledger REDIS_URL COUNT")
        exit(2)
    }
    try await rewardLedger(redisURL: arguments[2], count: count)
case "ledger-hot":
    guard arguments.count > 3, let batches = Int(arguments[3]) else {
        print("usage: smartpay-bench ledger-hot REDIS_URL BATCHES [WRITERS]")
        exit(2)
    }
    try await ledgerHot(
        redisURL: arguments[2], batches: batches, writers: arguments.count > 4 ? Int(arguments[4]) ?? 4 : 4)
case "ledger-chain":
    guard arguments.count > 3, let count = Int(arguments[3]) else {
        print("usage: smartpay-bench ledger-chain REDIS_URL COUNT")
        exit(2)
    }
    try await ledgerChain(redisURL: arguments[2], count: count)
case "ledger-verify":
    guard arguments.count > 3, let entries = Int(arguments[3]) else {
        print("usage: smartpay-bench ledger-verify REDIS_URL ENTRIES")
        exit(2)
    }
    try await ledgerVerify(redisURL: arguments[2], entries: entries)
case "solana-sign":
    try solanaSign(count: arguments.count > 2 ? Int(arguments[2]) ?? 20_000 : 20_000)
case "websocket-fanout":
    guard arguments.count > 8, let connections = Int(arguments[5]), let rounds = Int(arguments[6]),
        let pid = Int32(arguments[8])
    else {
        print(
            "usage: smartpay-bench websocket-fanout WS_URL AWS_URL TOKEN CONNECTIONS ROUNDS MERCHANT SERVE_PID [REDIS_URL]"
        )
        exit(2)
    }
    try await webSocketFanout(
        webSocket: arguments[2], aws: arguments[3], token: arguments[4], merchant: arguments[7],
        connections: connections, rounds: rounds, servePID: pid, redisURL: arguments.count > 9 ? arguments[9] : nil)
case "chat-retrieval":
    guard arguments.count > 3 else {
        print("usage: smartpay-bench chat-retrieval KNOWLEDGE_DIR QUESTIONS.json [ROUNDS]")
        exit(2)
    }
    try chatRetrieval(
        directory: arguments[2], questions: arguments[3], rounds: arguments.count > 4 ? Int(arguments[4]) ?? 200 : 200)
case "route-decide":
    try routeDecide(count: arguments.count > 2 ? Int(arguments[2]) ?? 200_000 : 200_000)
default:
    print(
        "usage: smartpay-bench (redis PORT [REQUESTS] | json [ROWS] | patterns [ROUNDS] | bus REDIS_URL METRICS_URL COUNT [RATE] | fraud-model MODEL PARITY [ROUNDS])"
    )
    exit(2)
}
