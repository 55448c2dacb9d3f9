import Foundation
import SmartPayBus
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayHTTP
import SmartPayRedis
import SmartPayRuntime
import SmartPayTemplate
import TestSupport
import Testing

/// The bus end to end: `smartpay serve` on the bus test template against a real redis-server the test owns, the
/// probe function as the target.
@Suite("Event bus", .serialized)
struct EventBusTests {
    static let template = Executables.repositoryRoot.appendingPathComponent("Tests/Fixtures/bus-template.yaml").path

    static func serve(_ redis: RedisServer, _ extra: [String] = [], state: URL? = nil) async throws -> ServedPlatform {
        try await ServedPlatform(
            arguments: ["--redis-url", redis.url, "--bus-retry-base-ms", "20"] + extra, template: "bus-template.yaml",
            state: state)
    }

    /// Runs `body` against `serve` over the test's own redis-server, with a client of that Redis; the serve then
    /// stops cleanly.
    static func withServedBus(_ body: (RedisServer, ServedPlatform, RedisClient) async throws -> Void) async throws {
        try await RedisServer.with { redis in
            let platform = try await serve(redis)
            try await body(redis, platform, RedisClient(configuration: redis.configuration))
            #expect(try await platform.stop() == 0)
        }
    }

    static func putEvents(_ platform: ServedPlatform, _ entries: String) async throws -> JSONValue {
        let response = try await platform.post(
            "/", #"{"Entries": \#(entries)}"#, base: platform.aws,
            headers: [("X-Amz-Target", "AWSEvents.PutEvents"), ("Content-Type", "application/x-amz-json-1.1")])
        #expect(response.status == 200, "\(response.bodyText)")
        return try JSONParser().parse(response.body)
    }

    static func ping(_ detail: String) -> String {
        let escaped = detail.replacingOccurrences(of: "\"", with: "\\\"")
        return #"{"Source": "test.bus", "DetailType": "ping", "Detail": "\#(escaped)"}"#
    }

    /// Polls until `condition` holds or `timeout` passes.
    static func eventually(
        _ timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    static func count(_ client: RedisClient, _ key: String) async throws -> Int {
        Int(try await client.send(["GET", key]).integer ?? 0)
    }

    static func admin(_ redis: RedisServer) throws -> BusAdmin {
        BusAdmin(template: try TemplateLoader.load(template), redis: RedisClient(configuration: redis.configuration))
    }

    @Test(
        "PutEvents on the AWS endpoint reaches the function, and the event it publishes (the outbox) reaches the next")
    func delivery() async throws {
        try await Self.withServedBus { _, platform, client in
            let answer = try await Self.putEvents(
                platform,
                "[\(Self.ping(#"{"run": "a", "then": {"detail_type": "pong", "detail": {"run": "b"}}}"#)), "
                    + #"{"Source": "aws.ec2", "DetailType": "ping", "Detail": "{}"}, "#
                    + #"{"Source": "test.bus", "DetailType": "ping", "Detail": "[1]"}, "#
                    + #"{"Source": "test.bus", "DetailType": "ping", "Detail": "{}", "EventBusName": "nope"}]"#)
            #expect(answer["FailedEntryCount"] == .number("3"))
            let entries = answer["Entries"]?.elements ?? []
            #expect(
                entries.map { $0["ErrorCode"]?.stringValue } == [
                    nil, "NotAuthorizedForSourceException", "MalformedDetail", "ResourceNotFoundException",
                ])
            let id = try #require(entries.first?["EventId"]?.stringValue)
            #expect(try await Self.eventually { try await Self.count(client, "probe:b:handled") == 1 })
            #expect(try await Self.count(client, "probe:a:handled") == 1)
            #expect(try await client.send(["SISMEMBER", "probe:a:ids", id]).integer == 1)
            // Streams are trimmed once acknowledged.
            #expect(
                try await Self.eventually {
                    try await client.send([
                        "XLEN", BusKeys.target(rule: "ProbeFunctionOnPing", target: "ProbeFunctionOnPing"),
                    ])
                    .integer == 0
                })
            #expect(try await client.send(["XLEN", BusKeys.ingest(bus: "default")]).integer == 0)
            let metrics = try await platform.http.execute(HTTPClientRequest(url: platform.api + "/metrics")).bodyText
            #expect(
                metrics.contains(#"smartpay_bus_delivered_total{target="ProbeFunctionOnPong/ProbeFunctionOnPong"} 1"#))
            #expect(metrics.contains("smartpay_bus_publish_to_invoke_seconds_count 2"))
        }
    }

    @Test(
        "a target that keeps failing is dead-lettered after exactly its retries, with the attributes; redrive delivers it with its id"
    )
    func deadLetterAndRedrive() async throws {
        try await Self.withServedBus { redis, platform, client in
            try await client.send(["SET", "probe:r:broken", "1"])
            let answer = try await Self.putEvents(platform, "[\(Self.ping(#"{"run": "r", "mode": "broken"}"#))]")
            let id = try #require(answer["Entries"]?.elements.first?["EventId"]?.stringValue)
            let admin = try Self.admin(redis)
            #expect(try await Self.eventually { try await admin.deadLetters(target: "probe").count == 1 })
            // MaximumRetryAttempts: 2 — the first attempt and two retries.
            #expect(try await Self.count(client, "probe:r:deliveries") == 3)
            let letter = try #require(try await admin.deadLetters(target: "probe").first)
            #expect(letter.eventID == id && letter.queue == "probe-dlq")
            #expect(letter.attributes["RETRY_ATTEMPTS"] == "2")
            #expect(letter.attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts")
            #expect(letter.attributes["ERROR_CODE"] == "ServiceUnavailable")
            #expect(letter.attributes["ERROR_MESSAGE"]?.contains("broken") == true)
            #expect(letter.attributes["RULE_ARN"] == "arn:aws:events:us-east-1:000000000000:rule/ProbeFunctionOnPing")
            #expect(letter.attributes["TARGET_ARN"] == "arn:aws:lambda:us-east-1:000000000000:function:probe")
            let first = try Timestamp(rfc3339: letter.attributes["FIRST_ATTEMPT_TIME"] ?? "")
            let last = try Timestamp(rfc3339: letter.attributes["LAST_ATTEMPT_TIME"] ?? "")
            #expect(first < last)
            #expect((try JSONParser().parse(letter.event))["detail"]?["run"] == .string("r"), "the event unchanged")

            try await client.send(["DEL", "probe:r:broken"])
            let smartpay = try Executables.built("smartpay")
            let redrive = try await ProcessRunner.run(
                smartpay,
                arguments: ["dlq", "redrive", "--id", id, "--redis-url", redis.url, "--template", Self.template])
            #expect(redrive.status == 0, "\(redrive.stderrText)")
            #expect(redrive.stdoutText.contains("redriven: 1"))
            #expect(try await Self.eventually { try await Self.count(client, "probe:r:handled") == 1 })
            #expect(try await client.send(["SISMEMBER", "probe:r:ids", id]).integer == 1, "redrive keeps the event id")
            #expect(try await admin.deadLetters(target: "probe").isEmpty)
        }
    }

    @Test("errors that cannot succeed skip the retries: an event the function refuses, a target that does not exist")
    func permanentErrors() async throws {
        try await Self.withServedBus { redis, platform, client in
            _ = try await Self.putEvents(
                platform,
                "[\(Self.ping(#"{"run": "p", "mode": "invalid"}"#)), "
                    + #"{"Source": "test.bus", "DetailType": "orphan", "Detail": "{}"}]"#)
            let admin = try Self.admin(redis)
            #expect(try await Self.eventually { try await admin.deadLetters().count == 2 })
            #expect(try await Self.count(client, "probe:p:deliveries") == 1)
            let refused = try #require(try await admin.deadLetters(target: "probe").first)
            #expect(refused.attributes["ERROR_CODE"] == "ValidationError")
            #expect(refused.attributes["RETRY_ATTEMPTS"] == "0")
            #expect(refused.attributes["EXHAUSTED_RETRY_CONDITION"] == nil)
            let orphan = try #require(try await admin.deadLetters(target: "Nowhere").first)
            #expect(orphan.queue == "orphan-dlq" && orphan.attributes["ERROR_CODE"] == "RESOURCE_NOT_FOUND")

            let smartpay = try Executables.built("smartpay")
            let list = try await ProcessRunner.run(
                smartpay, arguments: ["dlq", "list", "--json", "--redis-url", redis.url, "--template", Self.template])
            #expect(list.status == 0 && list.stdoutText.split(separator: "\n").count == 2, "\(list.stdoutText)")
            let purge = try await ProcessRunner.run(
                smartpay,
                arguments: [
                    "dlq", "purge", "--target", "nowhere", "--redis-url", redis.url, "--template", Self.template,
                ])
            #expect(purge.stdoutText.contains("purged: 1"), "\(purge.stdoutText)\(purge.stderrText)")
            #expect(try await admin.deadLetters().count == 1)
        }
    }

    @Test("a delayed event survives a restart and is delivered within a second of its time")
    func delayedAcrossRestart() async throws {
        try await RedisServer.with { redis in
            let client = RedisClient(configuration: redis.configuration)
            var platform = try await Self.serve(redis)
            let due = Timestamp.now().adding(milliseconds: 2500)
            let publisher = RedisEventPublisher(redis: client)
            let id = try await publisher.publish(
                OutgoingEvent(source: "test.bus", detailType: "ping", detail: .object(["run": .string("d")])),
                deliverAt: due)
            #expect(try await platform.stop() == 0)
            try await Task.sleep(for: .milliseconds(300))
            platform = try await Self.serve(redis)
            while Timestamp.now().millisecondsSinceEpoch < due.millisecondsSinceEpoch - 150 {
                #expect(try await Self.count(client, "probe:d:deliveries") == 0, "delivered before its time")
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await Self.eventually(.seconds(5)) { try await Self.count(client, "probe:d:handled") == 1 })
            let late = Timestamp.now().millisecondsSinceEpoch - due.millisecondsSinceEpoch
            #expect(late <= 1000, "delivered \(late) ms after its time")
            #expect(try await client.send(["SISMEMBER", "probe:d:ids", id]).integer == 1)
            #expect(try await platform.stop() == 0)
        }
    }

    @Test("kill -9 in the middle of a burst of 10,000 events: after a restart every event is handled exactly once")
    func crashSafety() async throws {
        try await RedisServer.with { redis in
            let client = RedisClient(configuration: redis.configuration)
            let state = FileManager.default.temporaryDirectory.appendingPathComponent(
                "smartpay-crash-\(UUID().uuidString)")
            var platform = try await Self.serve(redis, ["--bus-reclaim-idle", "3", "--warm"], state: state)
            let publisher = RedisEventPublisher(redis: client)
            let total = 10_000
            for batch in stride(from: 0, to: total, by: 500) {
                let events = (batch..<batch + 500).map { index in
                    OutgoingEvent(
                        source: "test.bus", detailType: "ping",
                        detail: .object(["run": .string("crash"), "n": .number(String(index))]))
                }
                try await publisher.publish(events, deliverAt: nil)
            }
            #expect(try await Self.eventually { try await Self.count(client, "probe:crash:handled") >= 1500 })
            let children = platform.children()
            platform.process.signal(SIGKILL)
            _ = try await platform.process.wait(timeout: .seconds(10))
            let handledAtCrash = try await Self.count(client, "probe:crash:handled")
            #expect(handledAtCrash < total, "the crash came too late to test anything")
            // The function processes notice their Runtime API is gone and exit; none may linger.
            #expect(
                try await Self.eventually(.seconds(10)) { children.allSatisfy { kill($0, 0) != 0 } },
                "function processes outlived the killed runtime")
            for pid in children { kill(pid, SIGKILL) }

            platform = try await Self.serve(redis, ["--bus-reclaim-idle", "3"], state: state)
            #expect(
                try await Self.eventually(.seconds(120)) {
                    try await Self.count(client, "probe:crash:handled") >= total
                })
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await Self.count(client, "probe:crash:handled") == total, "handled exactly once each")
            #expect(try await client.send(["SCARD", "probe:crash:ids"]).integer == Int64(total))
            let deliveries = try await Self.count(client, "probe:crash:deliveries")
            #expect(deliveries >= total)
            #expect(
                try await Self.eventually {
                    try await client.send([
                        "XLEN", BusKeys.target(rule: "ProbeFunctionOnPing", target: "ProbeFunctionOnPing"),
                    ])
                    .integer == 0
                }, "acknowledged entries are trimmed")
            #expect(try await platform.stop() == 0)
        }
    }

    @Test("the real AWS CLI publishes events and tests patterns against the endpoint")
    func awsCLI() async throws {
        let aws = Executables.repositoryRoot.appendingPathComponent(".venv/bin/aws")
        try #require(FileManager.default.isExecutableFile(atPath: aws.path), "the AWS CLI is missing: run make setup")
        try await Self.withServedBus { _, platform, client in
            let environment = [
                "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_PAGER": "",
            ]
            let entries = FileManager.default.temporaryDirectory.appendingPathComponent(
                "smartpay-entries-\(UUID().uuidString).json")
            defer { try? FileManager.default.removeItem(at: entries) }
            try Data("[\(Self.ping(#"{"run": "cli"}"#))]".utf8).write(to: entries)
            let put = try await ProcessRunner.run(
                aws,
                arguments: [
                    "events", "put-events", "--endpoint-url", platform.aws, "--entries", "file://\(entries.path)",
                ],
                environment: environment, timeout: .seconds(60))
            #expect(put.status == 0, "\(put.stderrText)")
            #expect(put.stdoutText.contains("\"FailedEntryCount\": 0"), "\(put.stdoutText)")
            #expect(try await Self.eventually { try await Self.count(client, "probe:cli:handled") == 1 })

            let event =
                #"{"id": "1", "account": "000000000000", "source": "smartpay.pay", "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [], "detail-type": "payment.processed", "detail": {"amount_minor": 2000}}"#
            for (pattern, expected) in [
                (#"{"detail": {"amount_minor": [{"numeric": [">", 1000]}]}}"#, "true"),
                (#"{"detail": {"amount_minor": [{"numeric": ["<", 1000]}]}}"#, "false"),
            ] {
                let test = try await ProcessRunner.run(
                    aws,
                    arguments: [
                        "events", "test-event-pattern", "--endpoint-url", platform.aws, "--event-pattern", pattern,
                        "--event", event,
                    ], environment: environment, timeout: .seconds(60))
                #expect(test.status == 0, "\(test.stderrText)")
                #expect(test.stdoutText.contains("\"Result\": \(expected)"), "\(test.stdoutText)")
            }
            let invalid = try await ProcessRunner.run(
                aws,
                arguments: [
                    "events", "test-event-pattern", "--endpoint-url", platform.aws, "--event-pattern",
                    #"{"source": "x"}"#,
                    "--event", event,
                ], environment: environment, timeout: .seconds(60))
            #expect(invalid.status != 0 && invalid.stderrText.contains("InvalidEventPatternException"))
        }
    }

    @Test("smartpay events put / test-pattern / replay from the command line")
    func commandLine() async throws {
        try await Self.withServedBus { redis, platform, client in
            let smartpay = try Executables.built("smartpay")
            let started = Timestamp.now().adding(milliseconds: -1000)
            let put = try await ProcessRunner.run(
                smartpay, arguments: ["events", "put", "-", "--redis-url", redis.url, "--template", Self.template],
                stdin: Data(Self.ping(#"{"run": "cmd"}"#).utf8))
            #expect(put.status == 0, "\(put.stderrText)")
            #expect(try await Self.eventually { try await Self.count(client, "probe:cmd:handled") == 1 })

            let refused = try await ProcessRunner.run(
                smartpay, arguments: ["events", "put", "-", "--redis-url", redis.url, "--template", Self.template],
                stdin: Data(#"{"Source": "test.bus", "DetailType": "ping"}"#.utf8))
            #expect(refused.status == 1 && refused.stdoutText.contains("Detail is a required argument"))

            // The examples in events/bus/: the valid one is accepted, each invalid-* one refused.
            let examples = Executables.repositoryRoot.appendingPathComponent("events/bus")
            for file in try FileManager.default.contentsOfDirectory(atPath: examples.path).sorted()
            where file.hasPrefix("invalid-") || file == "payment-processed.json" {
                let result = try await ProcessRunner.run(
                    smartpay,
                    arguments: [
                        "events", "put", examples.appendingPathComponent(file).path, "--redis-url", redis.url,
                        "--template", Self.template,
                    ])
                #expect(result.status == (file.hasPrefix("invalid-") ? 1 : 0), "\(file): \(result.stdoutText)")
            }
            let example = try await ProcessRunner.run(
                smartpay,
                arguments: [
                    "events", "test-pattern", "--pattern", examples.appendingPathComponent("reward-pattern.json").path,
                    "--event", examples.appendingPathComponent("payment-processed-event.json").path,
                ])
            #expect(example.stdoutText == "true\n", "\(example.stderrText)")

            let event =
                #"{"id": "1", "account": "1", "source": "a", "time": "2026-01-01T00:00:00Z", "region": "r", "resources": [], "detail-type": "x", "detail": {"ip": "10.0.0.7"}}"#
            let match = try await ProcessRunner.run(
                smartpay,
                arguments: [
                    "events", "test-pattern", "--pattern", #"{"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}"#, "--event",
                    event,
                ])
            #expect(match.status == 0 && match.stdoutText == "true\n")
            let miss = try await ProcessRunner.run(
                smartpay, arguments: ["events", "test-pattern", "--pattern", #"{"source": ["b"]}"#, "--event", event])
            #expect(miss.status == 1 && miss.stdoutText == "false\n")
            let bad = try await ProcessRunner.run(
                smartpay, arguments: ["events", "test-pattern", "--pattern", #"{"source": "b"}"#, "--event", event])
            #expect(bad.status == 2 && bad.stderrText.contains("InvalidEventPatternException"))

            // The archive keeps the event; a replay re-delivers it with its id, and the probe's dedupe drops it.
            try await Task.sleep(for: .milliseconds(100))
            let replay = try await ProcessRunner.run(
                smartpay,
                arguments: [
                    "events", "replay", "--from", started.description, "--to", Timestamp.now().description, "--rule",
                    "ProbeFunctionOnPing", "--name", "again", "--redis-url", redis.url, "--template", Self.template,
                ])
            #expect(
                replay.status == 0 && replay.stdoutText.contains("replay again: 1 deliveries queued"),
                "\(replay.stdoutText)\(replay.stderrText)")
            #expect(try await Self.eventually { try await Self.count(client, "probe:cmd:deliveries") == 2 })
            #expect(try await Self.count(client, "probe:cmd:handled") == 1, "the duplicate was dropped")
        }
    }
}

extension JSONValue {
    fileprivate var elements: [JSONValue] {
        if case .array(let elements) = self { return elements }
        return []
    }
}
