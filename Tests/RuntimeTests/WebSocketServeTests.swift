import Foundation
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayHTTP
import SmartPayRedis
import SmartPayRuntime
import TestSupport
import Testing

@Suite("the WebSocket API and websocket-publish under smartpay serve, with a client and the AWS CLI of others")
struct WebSocketServeTests {
    func members(_ redis: RedisClient, _ key: String) async throws -> Set<String> {
        guard case .array(let items) = try await redis.send("SMEMBERS", key) else { return [] }
        return Set(items.compactMap(\.string))
    }

    @Test(
        "clients subscribe and hear a payment made through POST /pay live, nobody else does; refusals, errors, the 128 KB quota, @connections through the AWS CLI, 410s cleaned up"
    )
    func live() async throws {
        let platform = try await ServedPlatform(template: "../../infra/template.yaml")
        let wsPort = try #require(platform.webSocketPort, "serve names the WebSocket port on its ready line")
        let state = try #require(RuntimeState.read(from: platform.state.path))
        #expect(state.webSocketAPI == "ws://127.0.0.1:\(wsPort)")
        let redis = try RedisClient(url: state.redisURL)

        // A connection whose $disconnect never ran: its subscription outlived it.
        _ = try await redis.send("SADD", ConnectionKeys.topic("customer:c_7"), "ghost-7")
        _ = try await redis.send("SADD", ConnectionKeys.topics(of: "ghost-7"), "customer:c_7")

        let tokens: [String: String] = [
            "c_7": try await platform.token(["--sub", "c_7", "--role", "customer"]),
            "c_8": try await platform.token(["--sub", "c_8", "--role", "customer"]),
            "m_42": try await platform.token(["--sub", "m_42", "--role", "merchant"]),
            "m_42_pay": try await platform.token([
                "--sub", "m_42", "--role", "merchant", "--scopes", "payments:write,payments:read",
            ]),
        ]
        let root = Executables.repositoryRoot
        let arguments = JSONValue.object([
            "ws": .string("ws://127.0.0.1:\(wsPort)"), "api": .string(platform.api), "aws": .string(platform.aws),
            "tokens": .object(tokens.mapValues { .string($0) }),
            "aws_cli": .string(root.appendingPathComponent(".venv/bin/aws").path),
            "card": .string(root.appendingPathComponent("events/pay/card.json").path),
        ]).serializedString
        let run = try await ProcessRunner.run(
            root.appendingPathComponent(".venv/bin/python"),
            arguments: [root.appendingPathComponent("Tests/Fixtures/ws_client.py").path, arguments],
            timeout: .seconds(180))
        #expect(run.status == 0, "\(run.stderrText)")
        let seen = try JSONParser().parse(Array(run.stdout))
        let report = seen.serializedString

        // $connect: the credential is checked, as API Gateway's authorizer answers.
        #expect(seen["no_credential"]?.arrayValue?.first == .number("401"), "\(report)")
        #expect(seen["bad_token"]?.arrayValue?.first == .number("401"))
        #expect(seen["wrong_path"]?.arrayValue?.first == .number("404"))

        // Subscriptions: own topics only.
        #expect(seen["subscribe_customer"]?["topics"] == .array([.string("customer:c_7")]), "\(report)")
        #expect(seen["subscribe_merchant"]?["topics"] == .array([.string("merchant:m_42")]))
        #expect(seen["stranger_asks_for_c_7"]?["error"]?["type"]?.stringValue == "forbidden")
        #expect(seen["merchant_asks_for_m_43"]?["error"]?["type"]?.stringValue == "forbidden")
        #expect(seen["malformed_topic"]?["error"]?["field"]?.stringValue == "topics")
        #expect(seen["unknown_action"]?["error"]?["message"]?.stringValue?.contains("unknown action \"dance\"") == true)
        #expect(seen["not_json"]?["error"]?["type"]?.stringValue == "invalid_request")
        #expect(seen["ping"]?["type"]?.stringValue == "pong")

        // The payment, live: the merchant sees fee and net, the customer does not, nobody else hears anything.
        let paymentID = try #require(seen["payment"]?["id"]?.stringValue, "\(report)")
        let customerHeard = try #require(seen["customer_heard"])
        #expect(customerHeard["type"]?.stringValue == "payment_processed", "\(report)")
        #expect(customerHeard["data"]?["payment_id"]?.stringValue == paymentID)
        #expect(customerHeard["data"]?["amount"] == .number("2599"))
        #expect(customerHeard["data"]?["fee"] == nil && customerHeard["data"]?["net"] == nil)
        let merchantHeard = try #require(seen["merchant_heard"])
        #expect(merchantHeard["data"]?["payment_id"]?.stringValue == paymentID)
        #expect(merchantHeard["data"]?["fee"] != nil && merchantHeard["data"]?["net"] != nil)
        #expect(seen["stranger_heard"] == .null, "\(report)")
        #expect(seen["unsubscribed_heard"] == .null)

        // The management API through the real AWS CLI, answering as AWS documents.
        #expect(seen["cli_post"]?["status"] == .number("0"), "\(report)")
        #expect(seen["cli_post_received"]?.stringValue == "hello from the AWS CLI")
        #expect(seen["cli_get"]?["status"] == .number("0"))
        let got = try JSONParser().parse(Array((seen["cli_get"]?["stdout"]?.stringValue ?? "").utf8))
        #expect(got["ConnectedAt"]?.stringValue != nil && got["LastActiveAt"]?.stringValue != nil, "\(report)")
        #expect(got["Identity"]?["SourceIp"]?.stringValue == "127.0.0.1")
        #expect(seen["cli_delete"]?["status"] == .number("0"))
        #expect(seen["deleted_close_code"] == .number("1000"))
        #expect(seen["cli_post_after_delete"]?["stderr"]?.stringValue?.contains("GoneException") == true, "\(report)")
        #expect(seen["cli_get_unknown"]?["stderr"]?.stringValue?.contains("GoneException") == true)
        // Quotas: a message over 128 KB closes with 1009.
        #expect(seen["oversized_close_code"] == .number("1009"), "\(report)")

        // The ghost answered 410 to the fan-out and was forgotten.
        #expect(try await members(redis, ConnectionKeys.topic("customer:c_7")).contains("ghost-7") == false)
        #expect(try await members(redis, ConnectionKeys.topics(of: "ghost-7")).isEmpty)

        // Invoked directly, the function reports its counts; the closed sockets' records and subscriptions are gone.
        _ = try await redis.send("SADD", ConnectionKeys.topic("merchant:m_9"), "ghost-9")
        let direct = try await platform.post(
            "/2015-03-31/functions/websocket-publish/invocations",
            #"{"detail-type": "fraud.detected", "detail": {"transaction_id": "t1", "terminal_id": "m_9"}}"#,
            base: platform.aws)
        let counts = try JSONParser().parse(direct.body)
        #expect(counts["recipients"] == .number("1") && counts["stale"] == .number("1"), "\(direct.bodyText)")
        #expect(counts["delivered"] == .number("0") && counts["failed"] == .number("0"))
        var left: JSONValue = .null
        for _ in 0..<100 {
            left = .array(
                try await redis.send("KEYS", ConnectionKeys.root + ":*").array?.compactMap {
                    $0.string.map(JSONValue.string)
                }
                    ?? [])
            if left == .array([]) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(left == .array([]), "the registry holds nothing once every socket closed")
        #expect(try await platform.stop() == 0)
    }

    @Test("API Gateway's quotas, shortened: an idle connection closes with 1001, a busy one at its maximum duration")
    func quotas() async throws {
        let platform = try await ServedPlatform(
            arguments: ["--ws-idle-timeout", "1", "--ws-max-duration", "4", "--sandboxes", "off"],
            template: "../../infra/template.yaml")
        let wsPort = try #require(platform.webSocketPort)
        let token = try await platform.token(["--sub", "c_7", "--role", "customer"])
        let script = """
            import json, struct, sys, time, websocket
            url = sys.argv[1]
            def close_code(socket):
                while True:
                    frame = socket.recv_frame()
                    if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
                        return struct.unpack("!H", frame.data[:2])[0]
            idle = websocket.create_connection(url, timeout=20)
            started = time.time()
            idle_code, idle_after = close_code(idle), time.time() - started
            busy = websocket.create_connection(url, timeout=20)
            started = time.time()
            busy.settimeout(0.4)
            code = None
            while code is None and time.time() - started < 20:
                try:
                    busy.send(json.dumps({"action": "ping"}))
                    frame = busy.recv_frame()
                    if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
                        code = struct.unpack("!H", frame.data[:2])[0]
                except websocket.WebSocketTimeoutException:
                    pass
            print(json.dumps({"idle": [idle_code, idle_after], "busy": [code, time.time() - started]}))
            """
        let root = Executables.repositoryRoot
        let run = try await ProcessRunner.run(
            root.appendingPathComponent(".venv/bin/python"),
            arguments: ["-c", script, "ws://127.0.0.1:\(wsPort)/?token=\(token)"], timeout: .seconds(90))
        #expect(run.status == 0, "\(run.stderrText)")
        let seen = try JSONParser().parse(Array(run.stdout))
        #expect(seen["idle"]?.arrayValue?.first == .number("1001"), "\(seen.serializedString)")
        #expect(seen["busy"]?.arrayValue?.first == .number("1001"), "\(seen.serializedString)")
        // The busy one outlived the idle timeout: its pings kept it active until the maximum duration.
        let busyAfter = Double(seen["busy"]?.arrayValue?.last?.numberText ?? "0") ?? 0
        #expect(busyAfter >= 3, "\(seen.serializedString)")
        #expect(try await platform.stop() == 0)
    }
}
