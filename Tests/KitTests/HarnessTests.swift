import Foundation
import FunctionKit
import Logging
import SmartPayCore
import SplitFunction
import TestSupport
import Testing

/// Drops the per-invocation request id so outputs of different invocations compare.
func normalized(_ data: Data) throws -> NSDictionary {
    var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    object.removeValue(forKey: "request_id")
    if let body = object["body"] as? String,
        var inner = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
    {
        inner.removeValue(forKey: "request_id")
        object["body"] = inner as NSDictionary
    }
    return object as NSDictionary
}

func makeHost(_ configuration: [String: String] = [:]) async throws -> FunctionHost<SplitHandler> {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return try await FunctionHost<SplitHandler>(
        functionName: "split", configuration: FunctionConfiguration(configuration), logger: logger)
}

@Suite("The harness in-process and one-shot")
struct HarnessTests {
    static let validEvents = ["three-way.json", "jpy-milestones.json", "http-api.json", "eventbridge.json"]
    static let invalidEvents = [
        ("invalid-float-amount.json", "amount: expected an integer number of minor units, got 12.5", "InvalidRequest"),
        ("invalid-unknown-currency.json", "currency: unknown currency \"XYZ\"", "InvalidRequest"),
        (
            "invalid-parts-sum.json", "parts_bps: invalid split: parts sum to 9000 bps, expected 10000",
            "ValidationError"
        ),
        ("invalid-missing-currency.json", "currency: required field is missing", "InvalidRequest"),
        ("invalid-truncated-json.json", "invalid JSON at line 4, column 1", "InvalidRequest"),
    ]

    @Test("one-shot (file, '-', stdin) and in-process give the same output", arguments: validEvents)
    func sameOutputEveryWay(event: String) async throws {
        let payload = try Executables.event("split/\(event)")
        let host = try await makeHost()
        let inProcess = await host.invoke(payload: Array(payload), metadata: .local(timeout: .seconds(10)))
        guard case .response(let bytes) = inProcess else { Issue.record("in-process failed: \(inProcess)"); return }
        let expected = try normalized(Data(bytes))

        let binary = try Executables.built("split")
        let path = Executables.repositoryRoot.appendingPathComponent("events/split/\(event)").path
        for (arguments, stdin) in [([path], nil), (["-"], payload), ([], payload)] as [([String], Data?)] {
            let result = try await ProcessRunner.run(binary, arguments: arguments, stdin: stdin)
            #expect(result.status == 0, "\(arguments): \(result.stderrText)")
            #expect(try normalized(result.stdout) == expected, "\(arguments)")
        }
    }

    @Test("the three envelopes give the same split")
    func envelopes() async throws {
        let host = try await makeHost()
        let direct = Data(#"{"amount": 1000, "currency": "KWD", "parts_bps": [5000, 5000]}"#.utf8)
        let eventBridge = Data(
            #"{"version":"0","id":"1","detail-type":"split.requested","source":"t","account":"0","time":"2026-11-22T00:00:00Z","region":"us-east-1","resources":[],"detail":{"amount": 1000, "currency": "KWD", "parts_bps": [5000, 5000]}}"#
                .utf8)
        let http = try Executables.event("split/http-api.json")
        var outputs: [[Int]] = []
        var sources: [String] = []
        for payload in [direct, eventBridge, http] {
            let result = await host.invoke(payload: Array(payload), metadata: .local(timeout: .seconds(10)))
            var object = try #require(try JSONSerialization.jsonObject(with: Data(result.payload)) as? [String: Any])
            if let body = object["body"] as? String {
                #expect(object["statusCode"] as? Int == 200)
                #expect((object["headers"] as? [String: String])?["content-type"] == "application/json")
                object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            }
            outputs.append(object["parts"] as? [Int] ?? [])
            sources.append(object["source"] as? String ?? "")
        }
        #expect(outputs == [[500, 500], [500, 500], [500, 500]])
        #expect(sources == ["direct", "eventbridge", "http"])
    }

    @Test(
        "invalid events fail with a message naming the field, one-shot exit 1 with Lambda's error document",
        arguments: invalidEvents)
    func invalidEventFails(event: String, message: String, errorType: String) async throws {
        let host = try await makeHost()
        let result = await host.invoke(
            payload: Array(try Executables.event("split/\(event)")), metadata: .local(timeout: .seconds(10)))
        guard case .failure(let error) = result else { Issue.record("\(event) must fail"); return }
        #expect(error.message.hasPrefix(message), "\(error.message)")
        #expect(error.code.errorType == errorType)

        let path = Executables.repositoryRoot.appendingPathComponent("events/split/\(event)").path
        let run = try await ProcessRunner.run(try Executables.built("split"), arguments: [path])
        #expect(run.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: String])
        #expect(document == ["errorType": errorType, "errorMessage": error.message])
    }

    @Test(
        "behind the HTTP API errors become status codes with a JSON error, and internal details stay inside",
        arguments: [
            ("not_found", 404, "not_found"), ("conflict", 409, "conflict"), ("rate_limited", 429, "rate_limited"),
            ("unexpected", 500, "internal_error"),
        ])
    func httpErrors(failWith: String, status: Int, type: String) async throws {
        let host = try await makeHost()
        let body = #"{"amount": 100, "currency": "USD", "parts_bps": [10000], "fail_with": "\#(failWith)"}"#
        let event: [String: Any] = [
            "version": "2.0", "routeKey": "POST /split", "rawPath": "/split",
            "headers": ["content-type": "application/json"],
            "requestContext": ["http": ["method": "POST", "path": "/split"]], "body": body, "isBase64Encoded": false,
        ]
        let result = await host.invoke(
            payload: Array(try JSONSerialization.data(withJSONObject: event)), metadata: .local(timeout: .seconds(10)))
        guard case .response(let bytes) = result else { Issue.record("expected an HTTP response"); return }
        let response = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(response["statusCode"] as? Int == status)
        let errorBody = try #require(
            try JSONSerialization.jsonObject(with: Data((response["body"] as? String ?? "").utf8)) as? [String: Any])
        let error = try #require(errorBody["error"] as? [String: Any])
        #expect(error["type"] as? String == type)
        #expect(!(response["body"] as? String ?? "").contains("secret internal detail"))
        if status == 429 { #expect((response["headers"] as? [String: String])?["retry-after"] != nil) }
    }

    @Test("HTTP API: base64 bodies, path parameters merged, conflicts and non-JSON content refused")
    func httpDetails() async throws {
        let host = try await makeHost()
        let base64 = await host.invoke(
            payload: Array(try Executables.event("split/invalid-http-float-amount.json")),
            metadata: .local(timeout: .seconds(10)))
        let response = try #require(try JSONSerialization.jsonObject(with: Data(base64.payload)) as? [String: Any])
        #expect(response["statusCode"] as? Int == 400)
        #expect(
            (response["body"] as? String)?.contains("amount: expected an integer number of minor units, got 12.5")
                == true)

        func event(body: String, contentType: String = "application/json", path: [String: String]) -> [UInt8] {
            let object: [String: Any] = [
                "version": "2.0", "routeKey": "POST /split/{currency}", "headers": ["content-type": contentType],
                "requestContext": ["http": ["method": "POST", "path": "/split"]], "body": body, "pathParameters": path,
            ]
            return Array(try! JSONSerialization.data(withJSONObject: object))
        }
        let merged = await host.invoke(
            payload: event(body: #"{"amount": 100, "parts_bps": [10000]}"#, path: ["currency": "JPY"]),
            metadata: .local(timeout: .seconds(10)))
        #expect(String(decoding: merged.payload, as: UTF8.self).contains(#"\"currency\":\"JPY\""#))
        let conflict = await host.invoke(
            payload: event(
                body: #"{"amount": 100, "currency": "USD", "parts_bps": [10000]}"#, path: ["currency": "JPY"]),
            metadata: .local(timeout: .seconds(10)))
        #expect(String(decoding: conflict.payload, as: UTF8.self).contains("currency: the path says"))
        let text = await host.invoke(
            payload: event(body: "amount=100", contentType: "application/x-www-form-urlencoded", path: [:]),
            metadata: .local(timeout: .seconds(10)))
        #expect(String(decoding: text.payload, as: UTF8.self).contains("is not supported: send application/json"))
    }

    @Test("in-process typed invocation honours the deadline")
    func typedDeadline() async throws {
        let host = try await makeHost()
        let fast = try await host.invoke(.init(money: Money(minorUnits: 10, currency: .usd), partsBps: [5000, 5000]))
        #expect(fast.parts == [5, 5])
        let error = await #expect(throws: FunctionError.self) {
            try await host.invoke(
                .init(money: Money(minorUnits: 10, currency: .usd), partsBps: [10000], sleepMs: 5000),
                timeout: .milliseconds(200))
        }
        #expect(error?.code == .timeout)
        #expect(error?.message == "Task timed out after 0.20 seconds")
    }

    @Test("one-shot usage errors exit 2 with one line; logs are JSON lines with the request id")
    func usageAndLogs() async throws {
        let binary = try Executables.built("split")
        let missing = try await ProcessRunner.run(binary, arguments: ["events/split/nope.json"])
        #expect(missing.status == 2)
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderrText == "split: cannot read \"events/split/nope.json\": No such file or directory\n")
        let extra = try await ProcessRunner.run(binary, arguments: ["a", "b"])
        #expect(extra.status == 2)

        let failed = try await ProcessRunner.run(
            binary, arguments: ["-"], stdin: try Executables.event("split/invalid-parts-sum.json"))
        let lines = failed.stderrText.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["level"] != nil && object["message"] != nil && object["time"] != nil)
            #expect((object["request_id"] as? String)?.isEmpty == false)
            #expect(object["function"] as? String == "split")
        }
    }
}
