import Foundation
import Logging
import SmartPayBus
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis
import SmartPayTemplate
import Synchronization

/// How the bus delivers.
public struct EventBusOptions: Sendable {
    /// An entry in flight longer than this (its runtime died holding it) is claimed again (`XAUTOCLAIM`).
    public var reclaimIdle: Duration = .seconds(30)
    /// The first retry's delay; it doubles per attempt up to `retryMaximumDelay`, half of it jittered.
    public var retryBaseDelay: Duration = .seconds(1)
    public var retryMaximumDelay: Duration = .seconds(60)
    /// The most entries read from a stream at once.
    public var batchSize = 256
    /// This runtime's consumer name in the streams' consumer groups.
    public var consumer = "smartpay-\(ProcessInfo.processInfo.hostName)"

    public init() {}
}

/// One delivery route: a rule's target and its stream.
struct DeliveryRoute: Sendable {
    let rule: EventRule
    let target: RuleTarget
    let key: String
    /// `rule/target`, the metrics' label.
    var label: String { "\(rule.name)/\(target.id)" }
}

/// The event bus on Redis: routes published events to their rules' targets and delivers them at least once.
///
/// - The router reads each bus's ingest stream (consumer group `router`), matches every rule, and in one
///   `MULTI`/`EXEC` appends the event to each matching (rule, target) stream and to the archive, and acknowledges
///   and deletes the ingest entry: an event is fanned out exactly once or not at all.
/// - The dispatcher reads the target streams (consumer group `delivery`) with one blocking `XREADGROUP`, up to
///   each target function's concurrency, and invokes the function. Success acknowledges and deletes the entry;
///   failure moves it, in one transaction, to the delayed set for a retry with backoff or to the dead-letter queue.
/// - The drainer moves due entries of the delayed set (delayed events, retries) to their streams with one script.
/// - The reclaimer claims entries left pending longer than `reclaimIdle` by a runtime that died.
public final class EventBus: Sendable {
    let template: Template
    let redis: RedisClient
    /// Blocking reads only: one connection for the router, one for the dispatcher.
    let reader: RedisClient
    let target: any EventTarget
    let options: EventBusOptions
    let logger: Logger
    let metrics = BusMetrics()
    let routes: [DeliveryRoute]
    let buses: [String]
    /// Per ingest stream key: its bus's routes and archives, worked out once for the router's every batch.
    private let fanOut: [String: (bus: String, routes: [DeliveryRoute], archives: [EventArchive])]
    private let acks: AckBatcher
    /// `stream id` of the deliveries running here, so a reclaimed entry is never delivered twice at once.
    private let inFlight = Mutex<Set<String>>([])

    static let malformedQueue = "smartpay-bus-malformed"

    public init(template: Template, redisURL: String, target: any EventTarget, options: EventBusOptions, logger: Logger)
        throws(RedisError)
    {
        self.template = template
        self.target = target
        self.options = options
        self.logger = logger
        var configuration = try RedisConfiguration(url: redisURL)
        self.redis = RedisClient(configuration: configuration, maximumConnections: 8)
        configuration.commandTimeout = .seconds(10)
        self.reader = RedisClient(configuration: configuration, maximumConnections: 2)
        self.routes = template.rules.values.sorted { $0.name < $1.name }.flatMap { rule in
            rule.targets.map { target in
                DeliveryRoute(rule: rule, target: target, key: BusKeys.target(rule: rule.name, target: target.id))
            }
        }
        self.buses = EventBus.busNames(of: template)
        var fanOut: [String: (bus: String, routes: [DeliveryRoute], archives: [EventArchive])] = [:]
        for bus in buses {
            fanOut[BusKeys.ingest(bus: bus)] = (
                bus, routes.filter { $0.rule.bus == bus },
                template.archives.values.filter { $0.bus == bus }.sorted { $0.name < $1.name }
            )
        }
        self.fanOut = fanOut
        self.acks = AckBatcher(redis: redis, logger: logger)
    }

    /// Every bus the template names, and `default`.
    static func busNames(of template: Template) -> [String] {
        Array(Set(["default"] + template.rules.values.map(\.bus) + template.archives.values.map(\.bus))).sorted()
    }

    /// Creates the consumer groups (idempotently). Groups start at the stream's beginning, so events published
    /// while no runtime ran are delivered when one starts.
    public func prepare() async throws(RedisError) {
        var commands = buses.map {
            ["XGROUP", "CREATE", BusKeys.ingest(bus: $0), BusKeys.routerGroup, "0", "MKSTREAM"]
        }
        commands += routes.map { ["XGROUP", "CREATE", $0.key, BusKeys.deliveryGroup, "0", "MKSTREAM"] }
        for reply in try await redis.pipeline(commands) {
            if case .error(let message) = reply, !message.hasPrefix("BUSYGROUP") {
                throw RedisError(.server, message)
            }
        }
    }

    /// Runs until cancelled; in-flight deliveries finish (and are acknowledged) before it returns.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.routeLoop() }
            group.addTask { await self.deliveryLoop() }
            group.addTask { await self.drainLoop() }
            group.addTask { await self.reclaimLoop() }
            group.addTask { await self.backlogLoop() }
        }
    }

    // MARK: Routing

    private func routeLoop() async {
        let keys = buses.map { BusKeys.ingest(bus: $0) }
        while !Task.isCancelled {
            do {
                let reply = try await reader.send(
                    [
                        "XREADGROUP", "GROUP", BusKeys.routerGroup, options.consumer, "COUNT",
                        String(options.batchSize),
                        "BLOCK", "1000", "STREAMS",
                    ] + keys + keys.map { _ in ">" })
                for (key, entries) in StreamEntry.streams(reply) where !entries.isEmpty {
                    try await route(entries, from: key)
                }
            } catch {
                await pause(after: error, in: "routing")
            }
        }
    }

    /// Fans `entries` of one ingest stream out to the matching targets and the archives, in one transaction with
    /// their acknowledgement.
    func route(_ entries: [StreamEntry], from key: String) async throws(RedisError) {
        guard let (bus, busRoutes, archives) = fanOut[key] else { return }
        let now = Timestamp.now().millisecondsSinceEpoch
        var commands: [[String]] = []
        var matched: [String: Int] = [:]
        for entry in entries {
            let published = entry[BusKeys.Field.published] ?? String(StreamEntry.milliseconds(of: entry.id))
            guard let text = entry[BusKeys.Field.event], let event = try? JSONParser().parse(text),
                case .object = event
            else {
                metrics.malformed()
                logger.error("a bus entry is not an event; dead-lettered", metadata: ["entry": .string(entry.id)])
                commands.append(
                    ["XADD", BusKeys.deadLetter(queue: Self.malformedQueue), "*"] + entry.arguments + [
                        "ERROR_CODE", "MALFORMED_EVENT", "ERROR_MESSAGE", "the entry has no event object",
                    ])
                commands.append(["SADD", BusKeys.deadLetterIndex, Self.malformedQueue])
                continue
            }
            var ruleMatches: [String: Bool] = [:]
            for route in busRoutes {
                let matches = ruleMatches[route.rule.name] ?? route.rule.pattern.matches(event)
                ruleMatches[route.rule.name] = matches
                guard matches else { continue }
                var fields = [
                    BusKeys.Field.event, text, BusKeys.Field.published, published, BusKeys.Field.attempts, "0",
                ]
                if let replay = entry[BusKeys.Field.replay] { fields += [BusKeys.Field.replay, replay] }
                commands.append(["XADD", route.key, "*"] + fields)
                matched[route.label, default: 0] += 1
            }
            if entry[BusKeys.Field.replay] == nil {
                for archive in archives where archive.pattern?.matches(event) ?? true {
                    var command = ["XADD", BusKeys.archive(bus: bus)]
                    if archive.retentionDays > 0 {
                        command += ["MINID", "~", String(now - Int64(archive.retentionDays) * 86_400_000)]
                    }
                    commands.append(command + ["*", BusKeys.Field.event, text, "archive", archive.name])
                }
            }
        }
        let ids = entries.map(\.id)
        commands.append(["XACK", key, BusKeys.routerGroup] + ids)
        commands.append(["XDEL", key] + ids)
        _ = try await redis.transaction(commands)
        metrics.published(entries.count)
        for (label, count) in matched { metrics.count(.matched, label, by: count) }
    }

    // MARK: Delivery

    private func deliveryLoop() async {
        guard !routes.isEmpty else { return }
        // Concurrency is the function's: routes to the same function share its slots.
        let functions = Array(Set(routes.map(\.target.function))).sorted()
        let functionIndex = Dictionary(uniqueKeysWithValues: functions.enumerated().map { ($1, $0) })
        let capacities = functions.map { target.capacity(of: $0) ?? 16 }
        let slotOfRoute = routes.map { functionIndex[$0.target.function]! }
        let indexByKey = Dictionary(uniqueKeysWithValues: routes.enumerated().map { ($1.key, $0) })
        let slots = Slots(count: functions.count)
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let counts = slots.counts
                let open = routes.indices.filter { counts[slotOfRoute[$0]] < capacities[slotOfRoute[$0]] }
                if open.isEmpty {
                    await slots.waitForRelease()
                    continue
                }
                let room = open.map { capacities[slotOfRoute[$0]] - counts[slotOfRoute[$0]] }.max() ?? 1
                let busy = counts.contains { $0 > 0 }
                let reply: RedisReply
                do {
                    reply = try await reader.send(
                        [
                            "XREADGROUP", "GROUP", BusKeys.deliveryGroup, options.consumer, "COUNT",
                            String(min(room, options.batchSize)), "BLOCK", busy ? "5" : "1000", "STREAMS",
                        ]
                            + open.map { routes[$0].key } + open.map { _ in ">" })
                } catch {
                    await pause(after: error, in: "delivery")
                    continue
                }
                for (key, entries) in StreamEntry.streams(reply) {
                    guard let index = indexByKey[key] else { continue }
                    let slot = slotOfRoute[index]
                    for entry in entries {
                        slots.take(slot)
                        group.addTask {
                            await self.deliver(entry, on: self.routes[index])
                            slots.release(slot)
                        }
                    }
                }
            }
        }
    }

    /// Delivers one entry and settles it: acknowledged, scheduled for a retry, or dead-lettered.
    func deliver(_ entry: StreamEntry, on route: DeliveryRoute) async {
        let token = "\(route.key) \(entry.id)"
        guard inFlight.withLock({ $0.insert(token).inserted }) else { return }
        defer { _ = inFlight.withLock { $0.remove(token) } }
        let started = Timestamp.now().millisecondsSinceEpoch
        let attempts = Int(entry[BusKeys.Field.attempts] ?? "0") ?? 0
        let outcome: DeliveryOutcome
        if let event = entry[BusKeys.Field.event] {
            if attempts == 0, let published = Int64(entry[BusKeys.Field.published] ?? "") {
                metrics.latency(milliseconds: started - published)
            }
            outcome = await target.deliver(function: route.target.function, event: Array(event.utf8))
        } else {
            outcome = .failed(code: "MALFORMED_EVENT", message: "the entry has no event", retryable: false)
        }
        switch outcome {
        case .delivered:
            metrics.count(.delivered, route.label)
            await acks.acknowledge(entry.id, in: route.key)
        case .failed(let code, let message, let retryable):
            metrics.count(.failed, route.label)
            await settleFailure(
                entry, on: route, code: code, message: message, retryable: retryable, attempts: attempts,
                started: started)
        }
    }

    private func settleFailure(
        _ entry: StreamEntry, on route: DeliveryRoute, code: String, message: String, retryable: Bool, attempts: Int,
        started: Int64
    ) async {
        let now = Timestamp.now().millisecondsSinceEpoch
        let published = Int64(entry[BusKeys.Field.published] ?? "") ?? StreamEntry.milliseconds(of: entry.id)
        var first = Int64(entry[BusKeys.Field.firstAttempt] ?? "0") ?? 0
        if first == 0 { first = started }
        let exhausted: String?
        if !retryable {
            exhausted = nil
        } else if attempts >= route.target.maximumRetryAttempts {
            exhausted = "MaximumRetryAttempts"
        } else if now - published >= Int64(route.target.maximumEventAgeSeconds) * 1000 {
            exhausted = "MaximumEventAgeInSeconds"
        } else {
            await scheduleRetry(entry, on: route, attempts: attempts, firstAttempt: first, now: now)
            return
        }
        await giveUp(
            entry, on: route, code: code, message: message, attempts: attempts, published: published,
            firstAttempt: first, started: started, exhausted: exhausted)
    }

    /// Puts the entry on the delayed set with its attempt count raised, due after the backoff for `attempts`.
    private func scheduleRetry(
        _ entry: StreamEntry, on route: DeliveryRoute, attempts: Int, firstAttempt: Int64, now: Int64
    ) async {
        var fields = entry.fields
        fields[BusKeys.Field.attempts] = String(attempts + 1)
        fields[BusKeys.Field.firstAttempt] = String(firstAttempt)
        let due = now + backoff(afterAttempt: attempts)
        let retry = StreamEntry(id: entry.id, fields: fields)
        await settle(
            entry, on: route,
            with: [
                [
                    "ZADD", BusKeys.delayed, String(due),
                    BusKeys.delayedMember(stream: route.key, fields: retry.arguments),
                ]
            ])
        metrics.count(.retried, route.label)
    }

    /// Sends the entry to the target's dead-letter queue, or drops it (logged) when the target has none.
    private func giveUp(
        _ entry: StreamEntry, on route: DeliveryRoute, code: String, message: String, attempts: Int,
        published: Int64, firstAttempt: Int64, started: Int64, exhausted: String?
    ) async {
        let eventID = entry[BusKeys.Field.event].flatMap { try? JSONParser().parse($0) }?["id"]?.stringValue ?? ""
        guard let queue = route.target.deadLetterQueue else {
            logger.error(
                "delivery failed for good and the target has no dead-letter queue; the event is dropped",
                metadata: [
                    "rule": .string(route.rule.name), "target": .string(route.target.id), "event_id": .string(eventID),
                    "error_code": .string(code),
                ])
            await settle(entry, on: route, with: [])
            metrics.count(.dropped, route.label)
            return
        }
        var fields = [
            BusKeys.Field.event, entry[BusKeys.Field.event] ?? "", BusKeys.Field.eventID, eventID,
            BusKeys.Field.published, String(published), "rule", route.rule.name, "target", route.target.id,
            "RULE_ARN", route.rule.arn, "TARGET_ARN", route.target.arn, "ERROR_CODE", code, "ERROR_MESSAGE", message,
            "RETRY_ATTEMPTS", String(attempts),
            "FIRST_ATTEMPT_TIME", Timestamp(millisecondsSinceEpoch: firstAttempt).format(fractional: true),
            "LAST_ATTEMPT_TIME", Timestamp(millisecondsSinceEpoch: started).format(fractional: true),
        ]
        if let exhausted { fields += ["EXHAUSTED_RETRY_CONDITION", exhausted] }
        await settle(
            entry, on: route,
            with: [
                ["XADD", BusKeys.deadLetter(queue: queue), "*"] + fields, ["SADD", BusKeys.deadLetterIndex, queue],
            ])
        metrics.count(.deadLettered, route.label)
        logger.warning(
            "event dead-lettered",
            metadata: [
                "rule": .string(route.rule.name), "target": .string(route.target.id), "event_id": .string(eventID),
                "queue": .string(queue), "error_code": .string(code), "retry_attempts": .stringConvertible(attempts),
            ])
    }

    /// Runs `commands` with the entry's acknowledgement and deletion in one transaction. If Redis is unreachable
    /// the entry stays pending and is reclaimed later: delivered again, never lost.
    private func settle(_ entry: StreamEntry, on route: DeliveryRoute, with commands: [[String]]) async {
        do {
            _ = try await redis.transaction(
                commands + [
                    ["XACK", route.key, BusKeys.deliveryGroup, entry.id], ["XDEL", route.key, entry.id],
                ])
        } catch {
            logger.error(
                "cannot settle a delivery; it will be reclaimed",
                metadata: ["stream": .string(route.key), "entry": .string(entry.id), "error": .string("\(error)")])
        }
    }

    /// Exponential backoff with half of it jittered, in milliseconds.
    func backoff(afterAttempt attempt: Int) -> Int64 {
        let base = options.retryBaseDelay.milliseconds
        let cap = options.retryMaximumDelay.milliseconds
        let exponential = min(cap, base << Int64(min(attempt, 30)))
        let half = max(1, exponential / 2)
        return half + Int64.random(in: 0...half)
    }

    // MARK: Delayed entries

    private func drainLoop() async {
        while !Task.isCancelled {
            do {
                let moved = try await redis.evaluate(
                    Self.drainScript, keys: [BusKeys.delayed],
                    arguments: [String(Timestamp.now().millisecondsSinceEpoch), String(options.batchSize)])
                if (moved.integer ?? 0) >= Int64(options.batchSize) { continue }
                try? await Task.sleep(for: .milliseconds(20))
            } catch {
                await pause(after: error, in: "delayed events")
            }
        }
    }

    /// Moves up to ARGV[2] members due by ARGV[1] from the delayed set to their streams, atomically.
    static let drainScript = RedisScript(
        """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, member in ipairs(due) do
          local entry = cjson.decode(member)
          local command = {'XADD', entry.k, '*'}
          for _, field in ipairs(entry.f) do command[#command + 1] = field end
          redis.call(unpack(command))
          redis.call('ZREM', KEYS[1], member)
        end
        return #due
        """)

    // MARK: Reclaiming

    private func reclaimLoop() async {
        let idle = options.reclaimIdle.milliseconds
        let period = Duration.milliseconds(max(250, idle / 4))
        while !Task.isCancelled {
            do {
                for bus in buses {
                    let key = BusKeys.ingest(bus: bus)
                    let entries = try await claim(key, group: BusKeys.routerGroup, idle: idle)
                    if !entries.isEmpty {
                        logger.warning(
                            "reclaimed events left unrouted", metadata: ["count": .stringConvertible(entries.count)])
                        try await route(entries, from: key)
                    }
                }
                for route in routes {
                    let entries = try await claim(route.key, group: BusKeys.deliveryGroup, idle: idle)
                    guard !entries.isEmpty else { continue }
                    logger.warning(
                        "reclaimed deliveries left unfinished",
                        metadata: ["target": .string(route.label), "count": .stringConvertible(entries.count)])
                    await withDiscardingTaskGroup { group in
                        for entry in entries { group.addTask { await self.deliver(entry, on: route) } }
                    }
                }
            } catch {
                await pause(after: error, in: "reclaiming")
                continue
            }
            try? await Task.sleep(for: period)
        }
    }

    /// `XAUTOCLAIM`s every entry of `key` idle for `idle` ms, following the cursor.
    private func claim(_ key: String, group: String, idle: Int64) async throws(RedisError) -> [StreamEntry] {
        var cursor = "0-0"
        var claimed: [StreamEntry] = []
        repeat {
            let reply = try await redis.send(
                ["XAUTOCLAIM", key, group, options.consumer, String(idle), cursor, "COUNT", String(options.batchSize)])
            guard let parts = reply.array, parts.count >= 2, let next = parts[0].string else { break }
            claimed += StreamEntry.list(parts[1])
            cursor = next
        } while cursor != "0-0" && claimed.count < options.batchSize * 8
        return claimed
    }

    // MARK: Backlog

    private func backlogLoop() async {
        while !Task.isCancelled {
            if let replies = try? await redis.pipeline(
                routes.map { ["XLEN", $0.key] } + [["ZCARD", BusKeys.delayed]])
            {
                var lags: [String: Int] = [:]
                for (route, reply) in zip(routes, replies) { lags[route.label] = Int(reply.integer ?? 0) }
                metrics.backlog(lags: lags, delayed: Int(replies.last?.integer ?? 0))
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    private func pause(after error: any Error, in activity: String) async {
        guard !Task.isCancelled else { return }
        logger.error("event bus: \(activity) failed; retrying", metadata: ["error": .string("\(error)")])
        try? await Task.sleep(for: .milliseconds(500))
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// Per-route counts of deliveries running, and a wake-up when one ends.
final class Slots: Sendable {
    private struct State {
        var counts: [Int]
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>

    init(count: Int) { state = Mutex(State(counts: Array(repeating: 0, count: count))) }

    var counts: [Int] { state.withLock { $0.counts } }

    func take(_ index: Int) { state.withLock { $0.counts[index] += 1 } }

    func release(_ index: Int) {
        let waiter = state.withLock { state in
            state.counts[index] -= 1
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns when a delivery ends (at once if one ended since the counts were read… up to the caller's loop).
    func waitForRelease() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                // Nothing running: nothing will release; let the caller look again.
                if !state.counts.contains(where: { $0 > 0 }) { return true }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}

/// Acknowledges and deletes delivered entries in batches: whoever finds no flush running flushes everything
/// queued, so under load one `MULTI`/`EXEC` settles many deliveries and at rest each is settled at once.
final class AckBatcher: Sendable {
    private struct State {
        var pending: [String: [String]] = [:]
        var flushing = false
    }

    private let state = Mutex(State())
    private let redis: RedisClient
    private let logger: Logger

    init(redis: RedisClient, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    func acknowledge(_ id: String, in key: String) async {
        let flush = state.withLock { state -> Bool in
            state.pending[key, default: []].append(id)
            if state.flushing { return false }
            state.flushing = true
            return true
        }
        guard flush else { return }
        while true {
            let batch = state.withLock { state -> [String: [String]]? in
                if state.pending.isEmpty {
                    state.flushing = false
                    return nil
                }
                defer { state.pending = [:] }
                return state.pending
            }
            guard let batch else { return }
            var commands: [[String]] = []
            for (key, ids) in batch {
                commands.append(["XACK", key, BusKeys.deliveryGroup] + ids)
                commands.append(["XDEL", key] + ids)
            }
            do {
                _ = try await redis.transaction(commands)
            } catch {
                logger.error(
                    "cannot acknowledge deliveries; they will be reclaimed and delivered again",
                    metadata: ["error": .string("\(error)")])
            }
        }
    }
}
