import Foundation
import SmartPayHTTP
import TestSupport
import Testing

/// A `smartpay serve` process on free ports with the test template, its embedded Redis under a temp folder.
final class ServedPlatform: @unchecked Sendable {
    let process: ChildProcess
    let apiPort: Int
    let awsPort: Int
    /// The WebSocket API's port, when the fixture template declares one.
    let webSocketPort: Int?
    let state: URL
    let http = HTTPClient()

    var api: String { "http://127.0.0.1:\(apiPort)" }
    var aws: String { "http://127.0.0.1:\(awsPort)" }

    init(arguments: [String] = [], template fixture: String = "runtime-template.yaml", state: URL? = nil)
        async throws
    {
        self.state =
            state
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("smartpay-serve-\(UUID().uuidString)")
        let template = Executables.repositoryRoot.appendingPathComponent("Tests/Fixtures/\(fixture)").path
        process = try ChildProcess(
            try Executables.built("smartpay"),
            arguments: [
                "serve", "--port", "0", "--aws-port", "0", "--ws-port", "0", "--template", template, "--state-dir",
                self.state.path,
                // Bursts from one loopback client are the tests' norm; the rate-limit tests set their own limits.
                "--rate-limit-ip", "off", "--rate-limit-global", "off",
            ]
                + arguments)
        var ports: (Int, Int)?
        var webSocketPort: Int?
        for _ in 0..<400 {
            let out = String(decoding: process.stdout, as: UTF8.self)
            if let line = out.split(separator: "\n").first(where: { $0.hasPrefix("ready ") }) {
                let numbers = line.split(separator: " ").dropFirst().compactMap {
                    Int($0.split(separator: "=").last ?? "")
                }
                if numbers.count >= 2 { ports = (numbers[0], numbers[1]) }
                if numbers.count >= 3 { webSocketPort = numbers[2] }
                break
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        guard let ports else {
            process.stop()
            throw TestSupportError("smartpay serve did not start: \(String(decoding: process.stderr, as: UTF8.self))")
        }
        (apiPort, awsPort) = ports
        self.webSocketPort = webSocketPort
    }

    /// A development token from `smartpay token` for this platform's issuer.
    func token(_ arguments: [String]) async throws -> String {
        let result = try await ProcessRunner.run(
            try Executables.built("smartpay"), arguments: ["token", "--state-dir", state.path] + arguments)
        #expect(result.status == 0, "\(result.stderrText)")
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func post(
        _ path: String, _ body: String, base: String? = nil,
        headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
    ) async throws -> HTTPClientResponse {
        try await http.execute(
            HTTPClientRequest(
                method: "POST", url: (base ?? api) + path, headers: headers, body: Array(body.utf8),
                timeout: .seconds(30)))
    }

    /// The pids of the processes smartpay started (function processes and redis-server).
    func children() -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8)
            else { return nil }
            let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
            return fields.count > 2 && pid_t(fields[1]) == process.pid ? pid : nil
        }
    }

    func stop() async throws -> Int32 {
        process.signal(SIGTERM)
        let status = try await process.wait(timeout: .seconds(30))
        try? FileManager.default.removeItem(at: state)
        return status
    }
}

func json(_ response: HTTPClientResponse) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
}

@Suite("smartpay serve and invoke, end to end", .serialized)
struct ServeTests {
    @Test("the HTTP API routes to the function, maps errors, 404s unknown routes; clean shutdown leaves nothing behind")
    func httpAPI() async throws {
        let platform = try await ServedPlatform()
        let ok = try await platform.post("/split", #"{"amount": 1000, "currency": "USD", "parts_bps": [5000, 5000]}"#)
        #expect(ok.status == 200)
        #expect(json(ok)["parts"] as? [Int] == [500, 500])
        #expect(json(ok)["source"] as? String == "http")

        let invalid = try await platform.post("/split", #"{"amount": 12.5, "currency": "USD", "parts_bps": [10000]}"#)
        #expect(invalid.status == 400)
        #expect(
            ((json(invalid)["error"] as? [String: Any])?["message"] as? String)?.hasPrefix(
                "amount: expected an integer") == true)

        let unknown = try await platform.http.execute(HTTPClientRequest(url: platform.api + "/nope"))
        #expect(unknown.status == 404)
        let health = try await platform.http.execute(HTTPClientRequest(url: platform.api + "/health"))
        #expect(health.status == 200)
        let big = try await platform.post("/split", String(repeating: " ", count: 6 * 1024 * 1024 + 10))
        #expect(big.status == 413)

        // Prometheus text from the backend smartpay bootstraps: every family the runtime and the bus record.
        let metrics = try await platform.http.execute(HTTPClientRequest(url: platform.api + "/metrics")).bodyText
        for (family, type) in [
            ("smartpay_invocations_total", "counter"), ("smartpay_invocation_errors_total", "counter"),
            ("smartpay_invocation_timeouts_total", "counter"), ("smartpay_cold_starts_total", "counter"),
            ("smartpay_throttles_total", "counter"), ("smartpay_invocation_duration_seconds", "histogram"),
            ("smartpay_queue_depth", "gauge"), ("smartpay_processes", "gauge"),
            ("smartpay_bus_published_total", "counter"), ("smartpay_bus_malformed_total", "counter"),
            ("smartpay_bus_delayed", "gauge"), ("smartpay_bus_publish_to_invoke_seconds", "histogram"),
        ] {
            #expect(metrics.contains("# TYPE \(family) \(type)\n"), "\(family)")
        }
        #expect(metrics.contains(#"smartpay_invocation_duration_seconds_bucket{function="split",le="+Inf"} 2"#))
        #expect(metrics.contains(#"smartpay_invocation_errors_total{function="split"} 0"#), "a 400 is an answer")

        let children = platform.children()
        #expect(children.count >= 2, "a function process and redis-server")
        #expect(try await platform.stop() == 0)
        for pid in children { #expect(kill(pid, 0) != 0, "process \(pid) outlived smartpay") }
    }

    @Test("100 concurrent requests to one function are all answered")
    func concurrency() async throws {
        let platform = try await ServedPlatform()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<100 {
                group.addTask {
                    try await platform.post(
                        "/split", #"{"amount": \#(index), "currency": "USD", "parts_bps": [10000]}"#
                    ).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count == 100)
        #expect(statuses.allSatisfy { $0 == 200 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        let metrics = try await platform.http.execute(HTTPClientRequest(url: platform.api + "/metrics")).bodyText
        #expect(metrics.contains("smartpay_invocations_total{function=\"split\"} 100"))
        #expect(try await platform.stop() == 0)
    }

    @Test(
        "a crash fails its invocation with Runtime.ExitError (502) and a timeout with 504; both processes are replaced")
    func crashAndTimeout() async throws {
        let platform = try await ServedPlatform()
        let crash = try await platform.post(
            "/split", #"{"amount": 1, "currency": "USD", "parts_bps": [10000], "fail_with": "crash"}"#)
        #expect(crash.status == 502)
        #expect((json(crash)["error"] as? [String: Any])?["errorType"] as? String == "Runtime.ExitError")
        let after = try await platform.post("/split", #"{"amount": 1, "currency": "USD", "parts_bps": [10000]}"#)
        #expect(after.status == 200)

        let slow = try await platform.post(
            "/split",
            #"{"amount": 1, "currency": "USD", "parts_bps": [10000], "sleep_ms": 5000, "ignore_cancellation": true}"#)
        #expect(slow.status == 504)
        let direct = try await platform.post(
            "/2015-03-31/functions/split/invocations",
            #"{"amount": 1, "currency": "USD", "parts_bps": [10000], "sleep_ms": 5000, "ignore_cancellation": true}"#,
            base: platform.aws)
        #expect(direct.header("X-Amz-Function-Error") == "Unhandled")
        #expect((json(direct)["errorMessage"] as? String)?.hasSuffix("Task timed out after 2.00 seconds") == true)
        #expect(
            try await platform.post("/split", #"{"amount": 1, "currency": "USD", "parts_bps": [10000]}"#).status == 200)
        #expect(try await platform.stop() == 0)
    }

    @Test("beyond concurrency and queue, requests are refused with 429")
    func queueFull() async throws {
        let platform = try await ServedPlatform(arguments: ["--max-concurrency", "1", "--queue-limit", "1"])
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await platform.post(
                        "/split", #"{"amount": 1, "currency": "USD", "parts_bps": [10000], "sleep_ms": 1200}"#
                    ).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 2, "one running, one queued: \(statuses)")
        #expect(statuses.filter { $0 == 429 }.count == 2, "\(statuses)")
        let aws = try await platform.post("/2015-03-31/functions/split/invocations", "{}", base: platform.aws)
        #expect(aws.status == 200)
        #expect(try await platform.stop() == 0)
    }

    @Test(
        "the Lambda Invoke API: RequestResponse, Event (202, runs in the background), DryRun, RIE's path, unknown function"
    )
    func lambdaInvokeAPI() async throws {
        let platform = try await ServedPlatform()
        let sync = try await platform.post(
            "/2015-03-31/functions/split/invocations", #"{"amount": 10, "currency": "EUR", "parts_bps": [5000, 5000]}"#,
            base: platform.aws)
        #expect(sync.status == 200)
        #expect(json(sync)["parts"] as? [Int] == [5, 5])
        let rie = try await platform.post(
            "/2015-03-31/functions/function/invocations", #"{"amount": 10, "currency": "EUR", "parts_bps": [10000]}"#,
            base: platform.aws)
        #expect(json(rie)["parts"] as? [Int] == [10])
        let event = try await platform.post(
            "/2015-03-31/functions/split/invocations", #"{"amount": 10, "currency": "EUR", "parts_bps": [10000]}"#,
            base: platform.aws,
            headers: [("X-Amz-Invocation-Type", "Event")])
        #expect(event.status == 202)
        var ran = false
        for _ in 0..<300 where !ran {
            let metrics = try await platform.http.execute(HTTPClientRequest(url: platform.api + "/metrics")).bodyText
            ran = metrics.contains("smartpay_invocations_total{function=\"split\"} 3")
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(ran, "the Event invocation ran in the background")
        let dry = try await platform.post(
            "/2015-03-31/functions/split/invocations", "{}", base: platform.aws,
            headers: [("X-Amz-Invocation-Type", "DryRun")])
        #expect(dry.status == 204)
        let missing = try await platform.post("/2015-03-31/functions/nope/invocations", "{}", base: platform.aws)
        #expect(missing.status == 404)
        #expect(missing.header("x-amzn-ErrorType") == "ResourceNotFoundException")
        #expect(try await platform.stop() == 0)
    }

    @Test("the real AWS CLI invokes a function through the endpoint")
    func awsCLI() async throws {
        let aws = Executables.repositoryRoot.appendingPathComponent(".venv/bin/aws")
        try #require(FileManager.default.isExecutableFile(atPath: aws.path), "the AWS CLI is missing: run make setup")
        let platform = try await ServedPlatform()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(
            "smartpay-out-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: out) }
        let event = Executables.repositoryRoot.appendingPathComponent("events/split/three-way.json").path
        let result = try await ProcessRunner.run(
            aws,
            arguments: [
                "lambda", "invoke", "--endpoint-url", platform.aws, "--function-name", "split", "--payload",
                "fileb://\(event)", out.path,
            ],
            environment: [
                "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_PAGER": "",
            ],
            timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("\"StatusCode\": 200"))
        let answer = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any]
        #expect(answer?["parts"] as? [Int] == [333, 333, 334])
        #expect(try await platform.stop() == 0)
    }

    @Test("a port in use fails serve with the reason, and what had started (its Redis) is stopped")
    func portInUse() async throws {
        let platform = try await ServedPlatform()
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("smartpay-busy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: state) }
        let template = Executables.repositoryRoot.appendingPathComponent("Tests/Fixtures/runtime-template.yaml").path
        let result = try await ProcessRunner.run(
            try Executables.built("smartpay"),
            arguments: [
                "serve", "--port", String(platform.apiPort), "--aws-port", "0", "--ws-port", "0", "--template",
                template, "--state-dir", state.path,
            ])
        #expect(result.status == 1)
        #expect(result.stderrText.contains("cannot serve: api:"), "\(result.stderrText)")
        #expect(result.stderrText.contains("is the port in use?"))
        let redisLeft = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.contains { entry in
            (try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8))?.contains(state.path) == true
        }
        #expect(redisLeft == false, "the embedded redis-server outlived the failed serve")
        #expect(!FileManager.default.fileExists(atPath: state.appendingPathComponent("serve.json").path))
        #expect(try await platform.stop() == 0)
    }

    @Test("smartpay invoke runs the real binary and prints the response and Lambda's REPORT line")
    func invoke() async throws {
        let smartpay = try Executables.built("smartpay")
        let template = Executables.repositoryRoot.appendingPathComponent("Tests/Fixtures/runtime-template.yaml").path
        let event = Executables.repositoryRoot.appendingPathComponent("events/split/three-way.json").path
        let ok = try await ProcessRunner.run(
            smartpay, arguments: ["invoke", "split", "--event", event, "--template", template])
        #expect(ok.status == 0, "\(ok.stderrText)")
        let oneShot = try await ProcessRunner.run(try Executables.built("split"), arguments: [event])
        let strip = { (data: Data) -> NSDictionary in
            var object = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
            object.removeValue(forKey: "request_id")
            return object as NSDictionary
        }
        #expect(strip(ok.stdout) == strip(oneShot.stdout))
        let report = try #require(ok.stderrText.split(separator: "\n").last(where: { $0.hasPrefix("REPORT ") }))
        #expect(
            report.range(
                of:
                    #"^REPORT RequestId: [0-9a-f-]+\tDuration: [0-9]+\.[0-9]{2} ms\tBilled Duration: [0-9]+ ms\tMemory Size: 128 MB\tMax Memory Used: [0-9]+ MB\tInit Duration: [0-9.]+ ms$"#,
                options: .regularExpression) != nil, "\(report)")

        let invalid = try await ProcessRunner.run(
            smartpay, arguments: ["invoke", "split", "--event", "-", "--template", template],
            stdin: Data(#"{"amount": 12.5, "currency": "USD", "parts_bps": [10000]}"#.utf8))
        #expect(invalid.status == 1)
        #expect(invalid.stdoutText.contains("amount: expected an integer number of minor units, got 12.5"))
        let timeout = try await ProcessRunner.run(
            smartpay, arguments: ["invoke", "split", "--event", "-", "--template", template, "--timeout", "1"],
            stdin: Data(
                #"{"amount": 1, "currency": "USD", "parts_bps": [10000], "sleep_ms": 3000, "ignore_cancellation": true}"#
                    .utf8))
        #expect(timeout.status == 1)
        #expect(timeout.stdoutText.contains("Task timed out after 1.00 seconds"))
        let unknown = try await ProcessRunner.run(smartpay, arguments: ["invoke", "nope", "--template", template])
        #expect(unknown.status == 2)
        let badTemplate = try await ProcessRunner.run(
            smartpay, arguments: ["invoke", "split", "--template", "/nonexistent.yaml"])
        #expect(badTemplate.status == 2)
    }
}
