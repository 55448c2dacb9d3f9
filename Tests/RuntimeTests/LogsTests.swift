import Foundation
import TestSupport
import Testing

/// The functions' log lines go to files under the state directory, not serve's stderr, and `smartpay logs` shows them.
@Suite("smartpay logs", .serialized)
struct LogsTests {
    static let template = Executables.repositoryRoot.appendingPathComponent("Tests/Fixtures/runtime-template.yaml").path

    static func logs(_ arguments: [String], state: URL) async throws -> ProcessResult {
        try await ProcessRunner.run(
            try Executables.built("smartpay"),
            arguments: ["logs"] + arguments + ["--state-dir", state.path, "--template", template])
    }

    @Test("serve keeps each function's JSON lines in .smartpay/logs; logs [FUNCTION] prints them, -f follows")
    func logs() async throws {
        let platform = try await ServedPlatform()
        let refused = try await platform.post("/split", #"{"amount": 12.5, "currency": "USD", "parts_bps": [10000]}"#)
        #expect(refused.status == 400)
        var shown = try await Self.logs(["split"], state: platform.state)
        for _ in 0..<40 where !shown.stdoutText.contains("invocation refused") {
            try await Task.sleep(for: .milliseconds(50))
            shown = try await Self.logs(["split"], state: platform.state)
        }
        #expect(shown.status == 0)
        let line = try #require(shown.stdoutText.split(separator: "\n").first { $0.contains("invocation refused") })
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(fields["logger"] as? String == "smartpay.split" && fields["error_type"] as? String == "InvalidRequest")
        #expect(try await Self.logs([], state: platform.state).stdoutText.contains("invocation refused"))
        let serveErrors = String(decoding: platform.process.stderr, as: UTF8.self)
        #expect(!serveErrors.contains("smartpay.split"), "the function's lines stay off serve's stderr")

        let unknown = try await Self.logs(["nope"], state: platform.state)
        #expect(unknown.status == 2 && unknown.stderrText.contains(#"no function "nope""#), "\(unknown.stderrText)")

        let follower = try ChildProcess(
            try Executables.built("smartpay"),
            arguments: ["logs", "split", "-f", "--state-dir", platform.state.path, "--template", Self.template])
        // Until it has printed the earlier line (a busy machine starts it slowly), then a moment for any repeat.
        for _ in 0..<200 where !String(decoding: follower.stdout, as: UTF8.self).contains("invocation refused") {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(300))
        let before = String(decoding: follower.stdout, as: UTF8.self).components(separatedBy: "invocation refused")
        _ = try await platform.post("/split", #"{"amount": 1.5, "currency": "USD", "parts_bps": [10000]}"#)
        var followed = false
        for _ in 0..<60 where !followed {
            try await Task.sleep(for: .milliseconds(100))
            followed = String(decoding: follower.stdout, as: UTF8.self).contains("got 1.5")
        }
        #expect(followed, "-f printed the new line")
        #expect(before.count == 2, "the earlier line once, before following")
        follower.stop()
        #expect(try await platform.stop() == 0)
    }
}
