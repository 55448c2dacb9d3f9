import Foundation
import SmartPayRedis
import TestSupport
import Testing

/// `smartpay invoke F --event E` with nothing running, and beside a running `smartpay serve`.
@Suite("smartpay invoke with what each function needs", .serialized)
struct LocalInvokeTests {
    static let functions = ["fraud", "route", "pay", "reward", "ledger", "chat", "websocket-publish", "split"]
    /// An example the function itself refuses (a Functions-side matter, not the runtime's): reward reads
    /// `settlement.completed` as a direct action.
    static let knownRefused: Set<String> = ["reward/settlement-completed.json"]

    static func invoke(_ arguments: [String], state: URL) async throws -> ProcessResult {
        try await ProcessRunner.run(
            try Executables.built("smartpay"),
            arguments: ["invoke"] + arguments + [
                "--state-dir", state.path, "--sandbox-dir",
                Executables.repositoryRoot.appendingPathComponent("infra/sandboxes").path,
            ] + (arguments.contains("--template") ? [] : ["--template", template]), timeout: .seconds(60))
    }

    static let template = Executables.repositoryRoot.appendingPathComponent("infra/template.yaml").path

    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("smartpay-\(name)-\(UUID().uuidString)")
    }

    /// The `smartpay-invoke-*` folders the embedded Redis of an invocation keeps while it runs.
    static func invokeFolders() -> Set<String> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []
        return Set(entries.filter { $0.hasPrefix("smartpay-invoke-") })
    }

    @Test("every example in events/ runs with nothing running: what it needs is started for the call and stopped after")
    func everyExample() async throws {
        let state = Self.temporary("no-serve")
        let before = Self.invokeFolders()
        let root = Executables.repositoryRoot.appendingPathComponent("events")
        for function in Self.functions {
            let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(function).path)
            for file in files.sorted() where file.hasSuffix(".json") {
                let name = "\(function)/\(file)"
                let result = try await Self.invoke(
                    [function, "--event", root.appendingPathComponent(name).path], state: state)
                #expect(!result.stdoutText.contains("is not set"), "\(name): \(result.stdoutText)")
                #expect(result.stderrText.contains("REPORT RequestId:"), "\(name): \(result.stderrText)")
                if file.hasPrefix("invalid-") {
                    // Refused with a document that says why — or, for an HTTP event, a 4xx answer.
                    let answered4xx = result.status == 0 && result.stdoutText.contains(#""statusCode":4"#)
                    #expect(result.status == 1 || answered4xx, "\(name): \(result.stdoutText)")
                    #expect(result.stdoutText.contains("rror"), "\(name): \(result.stdoutText)")
                } else if !Self.knownRefused.contains(name) {
                    #expect(result.status == 0, "\(name): \(result.stdoutText) \(result.stderrText)")
                }
            }
        }
        #expect(Self.invokeFolders().subtracting(before).isEmpty, "an invocation's embedded Redis outlived it")
    }

    @Test("pay: Redis, the payment-gateway sandboxes it declares and its siblings behind a Lambda endpoint")
    func payWithSiblings() async throws {
        let state = Self.temporary("no-serve")
        let event = Executables.repositoryRoot.appendingPathComponent("events/pay/card.json").path
        let result = try await Self.invoke(["pay", "--event", event], state: state)
        #expect(result.status == 0, "\(result.stdoutText) \(result.stderrText)")
        let payment = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        #expect(payment?["status"] as? String == "succeeded", "\(result.stdoutText)")
        #expect((payment?["risk"] as? [String: Any])?["tier"] != nil, "fraud was invoked through the Lambda endpoint")
        #expect(payment?["gateway"] as? String == "stripe", "route chose, localstripe charged")
    }

    @Test("with a smartpay serve running, the function gets its Redis")
    func besideServe() async throws {
        try await RedisServer.with { redis in
            let state = Self.temporary("serve")
            let platform = try await ServedPlatform(arguments: ["--redis-url", redis.url], state: state)
            let client = RedisClient(configuration: redis.configuration)
            #expect(try await client.send(["KEYS", "fraud:*"]) == .array([]))
            let event = Executables.repositoryRoot.appendingPathComponent("events/fraud/genuine.json").path
            let template = Executables.repositoryRoot.appendingPathComponent("infra/template.yaml").path
            let result = try await Self.invoke(["fraud", "--event", event, "--template", template], state: state)
            #expect(result.status == 0, "\(result.stdoutText) \(result.stderrText)")
            let keys = try await client.send(["KEYS", "fraud:*"])
            #expect(keys != .array([]), "fraud's features went to serve's Redis")
            #expect(try await platform.stop() == 0)
        }
    }

    @Test("--env-vars in SAM's format reaches the function: Parameters for all, a function by logical id or name")
    func environmentFile() async throws {
        let state = Self.temporary("env")
        let file = Self.temporary("env-vars").appendingPathExtension("json")
        defer { try? FileManager.default.removeItem(at: file) }
        let event = Executables.repositoryRoot.appendingPathComponent("events/split/three-way.json").path
        for content in [#"{"SplitFunction": {"SPLIT_FAIL_INIT": "1"}}"#, #"{"Parameters": {"SPLIT_FAIL_INIT": 1}}"#] {
            try Data(content.utf8).write(to: file)
            let failed = try await Self.invoke(["split", "--event", event, "--env-vars", file.path], state: state)
            #expect(failed.status == 1, "\(content): \(failed.stdoutText)")
            #expect(failed.stdoutText.contains("errorType"), "\(content): init failed as the variable asks")
        }
        try Data(#"{"split": {"SPLIT_FAIL_INIT": "0"}}"#.utf8).write(to: file)
        #expect(try await Self.invoke(["split", "--event", event, "-n", file.path], state: state).status == 0)
        try Data(#"{"Nope": {"A": "1"}}"#.utf8).write(to: file)
        let unknown = try await Self.invoke(["split", "--event", event, "--env-vars", file.path], state: state)
        #expect(unknown.status == 2)
        #expect(unknown.stderrText.contains("Nope is no function of the template"), "\(unknown.stderrText)")
        try Data(#"{"split": {"A": {"nested": 1}}}"#.utf8).write(to: file)
        let nested = try await Self.invoke(["split", "--event", event, "--env-vars", file.path], state: state)
        #expect(nested.status == 2 && nested.stderrText.contains("split.A must be a string, a number or a boolean"))
    }
}
