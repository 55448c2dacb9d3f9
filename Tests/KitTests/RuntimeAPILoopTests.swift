import Foundation
import TestSupport
import Testing

@Suite("The Runtime API loop of a real function binary against a fake Runtime API", .serialized)
struct RuntimeAPILoopTests {
    @Test("responses, errors with their type header, the trace id, and the loop going on after a failure")
    func invocations() async throws {
        try await FakeRuntimeAPI.withFunction { api, _ in
            let good = await api.enqueue(try Executables.event("split/three-way.json"))
            let response = try await within(.seconds(20)) { await api.outcome(good) }
            #expect(response.kind == .response)
            #expect(response.json?["parts"] as? [Int] == [333, 333, 334])
            #expect(response.json?["request_id"] as? String == good, "the request id is the Runtime API's")

            let bad = await api.enqueue(try Executables.event("split/invalid-float-amount.json"))
            let error = try await within(.seconds(20)) { await api.outcome(bad) }
            #expect(error.kind == .error)
            #expect(error.errorType == "InvalidRequest")
            #expect(error.json?["errorType"] as? String == "InvalidRequest")
            #expect(
                error.json?["errorMessage"] as? String == "amount: expected an integer number of minor units, got 12.5")

            let traced = await api.enqueue(
                Data(
                    #"{"amount": 1, "currency": "USD", "parts_bps": [10000], "echo_environment": ["_X_AMZN_TRACE_ID"]}"#
                        .utf8),
                traceID: "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
            let tracedOutcome = try await within(.seconds(20)) { await api.outcome(traced) }
            let environment = tracedOutcome.json?["environment"] as? [String: String]
            #expect(environment?["_X_AMZN_TRACE_ID"] == "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")

            let http = await api.enqueue(try Executables.event("split/http-api.json"))
            let httpOutcome = try await within(.seconds(20)) { await api.outcome(http) }
            #expect(httpOutcome.json?["statusCode"] as? Int == 200)
        }
    }

    @Test("under the Runtime API the deadline is the platform's: the handler sees it, the harness adds no timer")
    func deadline() async throws {
        try await FakeRuntimeAPI.withFunction { api, _ in
            let timed = await api.enqueue(
                Data(#"{"amount": 1, "currency": "USD", "parts_bps": [10000], "echo_remaining": true}"#.utf8),
                timeout: .seconds(5))
            let outcome = try await within(.seconds(20)) { await api.outcome(timed) }
            let remaining = outcome.json?["remaining_ms"] as? Int ?? -1
            #expect(
                (1...5000).contains(remaining), "the handler's deadline is Lambda-Runtime-Deadline-Ms: \(remaining)")

            // Lambda and `smartpay serve` time the invocation out and replace the process (ServeTests covers it); a
            // Runtime API that does not is not second-guessed by a timer in the harness.
            let slow = await api.enqueue(
                Data(#"{"amount": 1, "currency": "USD", "parts_bps": [10000], "sleep_ms": 600}"#.utf8),
                timeout: .milliseconds(100))
            #expect(try await within(.seconds(20)) { await api.outcome(slow) }.kind == .response)
        }
    }

    @Test("a response over 6 MB is reported as an error, not sent")
    func oversized() async throws {
        try await FakeRuntimeAPI.withFunction { api, _ in
            let big = await api.enqueue(
                Data(#"{"amount": 1, "currency": "USD", "parts_bps": [10000], "response_bytes": 6500000}"#.utf8))
            let outcome = try await within(.seconds(30)) { await api.outcome(big) }
            #expect(outcome.kind == .error)
            #expect(outcome.errorType == "Function.ResponseSizeTooLarge")
            #expect((outcome.json?["errorMessage"] as? String)?.contains("6291556 bytes") == true)
            let fits = await api.enqueue(
                Data(#"{"amount": 1, "currency": "USD", "parts_bps": [10000], "response_bytes": 6000000}"#.utf8))
            #expect(try await within(.seconds(30)) { await api.outcome(fits) }.kind == .response)
        }
    }

    @Test("a failed initialisation is posted to /runtime/init/error and the process exits")
    func initError() async throws {
        try await FakeRuntimeAPI.withFunction(environment: ["SPLIT_FAIL_INIT": "1"]) { api, child in
            let outcome = try await within(.seconds(20)) { await api.outcome("init") }
            #expect(outcome.kind == .initError)
            #expect(outcome.errorType == "InternalError")
            #expect((outcome.json?["errorMessage"] as? String)?.contains("SPLIT_FAIL_INIT") == true)
            #expect(try await child.wait(timeout: .seconds(10)) == 1)
            #expect(await api.nextCalls == 0, "no invocation is fetched after a failed init")
        }
    }
}
