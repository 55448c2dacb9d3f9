import SmartPayBus
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis
import SmartPayTemplate

/// What the `smartpay events` and `smartpay dlq` commands and the EventBridge endpoint do to the bus: publish,
/// test patterns, list / redrive / purge dead letters, replay the archive. It talks to Redis only, so it works
/// whether or not a runtime is running (a runtime delivers what it finds when it starts).
public struct BusAdmin: Sendable {
    public let template: Template
    public let redis: RedisClient
    /// The buses the template names (and `default`).
    let buses: [String]

    public init(template: Template, redis: RedisClient) {
        self.template = template
        self.redis = redis
        self.buses = EventBus.busNames(of: template)
    }

    // MARK: Publishing

    /// PutEvents: validates each entry as EventBridge does and appends the accepted ones to their bus's ingest
    /// stream. Entries naming a bus the template does not have fail with `ResourceNotFoundException`.
    /// - Throws: `PutEvents.ValidationError` for a call without entries or with more than ten; `RedisError`.
    public func put(_ entries: [PutEvents.Entry], now: Timestamp = .now()) async throws
        -> [Result<JSONValue, PutEvents.EntryError>]
    {
        var results = try PutEvents.accept(entries, now: now)
        var commands: [[String]] = []
        var positions: [Int] = []
        for (index, entry) in entries.enumerated() {
            guard case .success(let event) = results[index] else { continue }
            let requested = entry.eventBusName ?? "default"
            let bus = requested.split(separator: "/").last.map(String.init) ?? requested
            guard buses.contains(bus) else {
                results[index] = .failure(
                    PutEvents.EntryError(code: "ResourceNotFoundException", message: "Event bus \(bus) does not exist.")
                )
                continue
            }
            commands.append([
                "XADD", BusKeys.ingest(bus: bus), "*", BusKeys.Field.event, event.serializedString,
                BusKeys.Field.published, String(now.millisecondsSinceEpoch),
            ])
            positions.append(index)
        }
        guard !commands.isEmpty else { return results }
        for (position, reply) in zip(positions, try await redis.pipeline(commands)) {
            if case .error(let message) = reply {
                results[position] = .failure(PutEvents.EntryError(code: "InternalException", message: message))
            }
        }
        return results
    }

    /// TestEventPattern: whether `event` matches `pattern`.
    /// - Throws: `BusCommandError` for a pattern that is not a valid event pattern or an event without
    ///   EventBridge's required fields.
    public static func testPattern(pattern: String, event: String) throws(BusCommandError) -> Bool {
        let compiled: EventPattern
        do throws(EventPatternError) {
            compiled = try EventPattern(text: pattern)
        } catch {
            throw BusCommandError(code: "InvalidEventPatternException", message: "Event pattern is not valid. \(error)")
        }
        guard let parsed = try? JSONParser().parse(event), case .object(let members) = parsed else {
            throw BusCommandError(
                code: "ValidationException", message: "Parameter Event is not valid: not a JSON object.")
        }
        for field in ["id", "account", "source", "time", "region", "resources", "detail-type"]
        where members[field] == nil {
            throw BusCommandError(
                code: "ValidationException", message: "Parameter Event is not valid: the field \"\(field)\" is missing."
            )
        }
        return compiled.matches(parsed)
    }

    // MARK: Dead letters

    /// The dead letters of every queue, or of the queues and entries of target `target` (its id, its function's
    /// name or ARN, or the queue's name), oldest first.
    public func deadLetters(target: String? = nil) async throws(RedisError) -> [DeadLetter] {
        let queues = (try await redis.send(["SMEMBERS", BusKeys.deadLetterIndex]).array ?? []).compactMap(\.string)
        var letters: [DeadLetter] = []
        for queue in queues.sorted() {
            var start = "-"
            while true {
                let page = StreamEntry.list(
                    try await redis.send(["XRANGE", BusKeys.deadLetter(queue: queue), start, "+", "COUNT", "1000"]))
                letters += page.map { DeadLetter(queue: queue, entry: $0) }.filter { $0.belongs(to: target) }
                guard page.count == 1000, let last = page.last else { break }
                start = "(" + last.id
            }
        }
        return letters
    }

    /// Sends dead letters back to their (rule, target) streams with their original event ids and a fresh retry
    /// budget. Each is moved in one transaction: it is in the queue or in delivery, never both or neither.
    /// - Parameter eventID: only this event; nil for all (of `target`, when given).
    /// - Returns: how many were redriven.
    public func redrive(target: String? = nil, eventID: String? = nil, now: Timestamp = .now()) async throws
        -> Int
    {
        let letters = try await deadLetters(target: target).filter { eventID == nil || $0.eventID == eventID }
        if let eventID, letters.isEmpty {
            throw BusCommandError(code: "ResourceNotFoundException", message: "no dead letter with event id \(eventID)")
        }
        var count = 0
        for letter in letters {
            guard let rule = letter.rule, let targetID = letter.targetID,
                template.rules[rule]?.targets.contains(where: { $0.id == targetID }) == true
            else {
                throw BusCommandError(
                    code: "ResourceNotFoundException",
                    message:
                        "dead letter \(letter.streamID) in \(letter.queue) names no rule target of the template (rule \(letter.rule ?? "none"), target \(letter.targetID ?? "none")); nothing was redriven after it"
                )
            }
            _ = try await redis.transaction([
                [
                    "XADD", BusKeys.target(rule: rule, target: targetID), "*", BusKeys.Field.event, letter.event,
                    BusKeys.Field.published, String(now.millisecondsSinceEpoch), BusKeys.Field.attempts, "0",
                ],
                ["XDEL", BusKeys.deadLetter(queue: letter.queue), letter.streamID],
            ])
            count += 1
        }
        return count
    }

    /// Deletes the dead letters of `target`.
    /// - Returns: how many were deleted.
    public func purge(target: String) async throws(RedisError) -> Int {
        let letters = try await deadLetters(target: target)
        var byQueue: [String: [String]] = [:]
        for letter in letters { byQueue[letter.queue, default: []].append(letter.streamID) }
        for (queue, ids) in byQueue {
            for chunk in stride(from: 0, to: ids.count, by: 1000) {
                try await redis.send(
                    ["XDEL", BusKeys.deadLetter(queue: queue)] + ids[chunk..<min(chunk + 1000, ids.count)])
            }
        }
        return letters.count
    }

    // MARK: Replay

    /// Re-delivers the events archived between `from` and `to` (inclusive) to the targets of the rules they match
    /// now (only `rule`, when given), with their original ids and `replay-name` set as EventBridge does.
    /// - Returns: how many deliveries were queued.
    public func replay(from: Timestamp, to: Timestamp, rule: String? = nil, name: String) async throws -> Int {
        guard from <= to else {
            throw BusCommandError(code: "ValidationException", message: "--from must not be after --to")
        }
        if let rule, template.rules[rule] == nil {
            let known = template.rules.keys.sorted().joined(separator: ", ")
            throw BusCommandError(
                code: "ResourceNotFoundException", message: "no rule \(rule) in the template (it has: \(known))")
        }
        let now = Timestamp.now().millisecondsSinceEpoch
        var queued = 0
        for bus in buses {
            let rules = template.rules.values.filter { $0.bus == bus && (rule == nil || $0.name == rule) }
                .sorted { $0.name < $1.name }
            guard !rules.isEmpty else { continue }
            var seen: Set<String> = []
            var start = String(from.millisecondsSinceEpoch)
            let end = String(to.millisecondsSinceEpoch)
            while true {
                let page = StreamEntry.list(
                    try await redis.send(["XRANGE", BusKeys.archive(bus: bus), start, end, "COUNT", "500"]))
                var commands: [[String]] = []
                for entry in page {
                    guard let text = entry[BusKeys.Field.event], let original = try? JSONParser().parse(text),
                        case .object(var members) = original, let id = members["id"]?.stringValue,
                        seen.insert(id).inserted
                    else { continue }
                    members["replay-name"] = .string(name)
                    let replayed = JSONValue.object(members).serializedString
                    for matching in rules where matching.pattern.matches(original) {
                        for target in matching.targets {
                            commands.append([
                                "XADD", BusKeys.target(rule: matching.name, target: target.id), "*",
                                BusKeys.Field.event, replayed, BusKeys.Field.published, String(now),
                                BusKeys.Field.attempts, "0", BusKeys.Field.replay, name,
                            ])
                        }
                    }
                }
                if !commands.isEmpty { _ = try await redis.transaction(commands) }
                queued += commands.count
                guard page.count == 500, let last = page.last else { break }
                start = "(" + last.id
            }
        }
        return queued
    }
}

/// One dead-lettered event with the attributes EventBridge gives a dead letter.
public struct DeadLetter: Sendable {
    public let queue: String
    /// Its id in the queue's stream.
    public let streamID: String
    public let eventID: String
    public let rule: String?
    public let targetID: String?
    /// The event as it was published.
    public let event: String
    /// `RULE_ARN`, `TARGET_ARN`, `ERROR_CODE`, `ERROR_MESSAGE`, `RETRY_ATTEMPTS`, `EXHAUSTED_RETRY_CONDITION`,
    /// `FIRST_ATTEMPT_TIME`, `LAST_ATTEMPT_TIME`.
    public let attributes: [String: String]

    init(queue: String, entry: StreamEntry) {
        self.queue = queue
        self.streamID = entry.id
        self.event = entry[BusKeys.Field.event] ?? ""
        self.eventID =
            entry[BusKeys.Field.eventID]
            ?? ((try? JSONParser().parse(event))?["id"]?.stringValue ?? "")
        self.rule = entry["rule"]
        self.targetID = entry["target"]
        self.attributes = entry.fields.filter { $0.key.uppercased() == $0.key }
    }

    func belongs(to target: String?) -> Bool {
        guard let target else { return true }
        let arn = attributes["TARGET_ARN"] ?? ""
        return target == targetID || target == queue || target == arn || arn.hasSuffix(":function:\(target)")
    }

    /// The dead letter as JSON (for `smartpay dlq list --json`).
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "queue": .string(queue), "stream_id": .string(streamID), "event_id": .string(eventID),
            "attributes": .object(attributes.mapValues { .string($0) }),
            "event": (try? JSONParser().parse(event)) ?? .string(event),
        ]
        if let rule { members["rule"] = .string(rule) }
        if let targetID { members["target"] = .string(targetID) }
        return .object(members)
    }
}

/// A bus command refused, with EventBridge's error code.
public struct BusCommandError: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
