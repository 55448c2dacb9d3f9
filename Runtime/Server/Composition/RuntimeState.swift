import Foundation
import SmartPayCore

/// Where a running `smartpay serve` is, in `{state directory}/serve.json`, so that `smartpay events` and
/// `smartpay dlq` find its Redis without being told.
public struct RuntimeState: Sendable {
    public let redisURL: String
    public let httpAPI: String
    public let awsEndpoint: String
    /// The gateways' endpoints the functions were given (`stripe`, `amazon_pay`, `solana`): a local sandbox's, or
    /// the one from the environment.
    public let gateways: [String: String]
    /// `ws://host:port` of the WebSocket API, when the template declares one.
    public let webSocketAPI: String?
    /// What the local sandboxes told the functions (never settings from the environment, which may be secrets), so
    /// that `smartpay invoke` can hand a function the same.
    public let sandboxSettings: [String: String]
    /// The runtime's process.
    public let pid: pid_t?

    public init(
        redisURL: String, httpAPI: String, awsEndpoint: String, gateways: [String: String] = [:],
        webSocketAPI: String? = nil, sandboxSettings: [String: String] = [:], pid: pid_t? = getpid()
    ) {
        self.redisURL = redisURL
        self.httpAPI = httpAPI
        self.awsEndpoint = awsEndpoint
        self.gateways = gateways
        self.webSocketAPI = webSocketAPI
        self.sandboxSettings = sandboxSettings
        self.pid = pid
    }

    /// Whether its process still runs (a runtime killed with SIGKILL leaves its `serve.json` behind).
    public var isRunning: Bool {
        guard let pid else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    static func path(in directory: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent("serve.json").path
    }

    func write(to directory: String) {
        let json = JSONValue.object([
            "redis_url": .string(redisURL), "http_api": .string(httpAPI), "aws_endpoint": .string(awsEndpoint),
            "pid": pid.map { .number(String($0)) } ?? .null, "gateways": .object(gateways.mapValues(JSONValue.string)),
            "sandbox_settings": .object(sandboxSettings.mapValues(JSONValue.string)),
            "websocket_api": webSocketAPI.map(JSONValue.string) ?? .null,
        ])
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: Self.path(in: directory), contents: Data(json.serialized()))
    }

    static func remove(from directory: String) { try? FileManager.default.removeItem(atPath: path(in: directory)) }

    /// The state a running runtime left in `directory`, nil when none runs there.
    public static func read(from directory: String) -> RuntimeState? {
        guard let data = FileManager.default.contents(atPath: path(in: directory)),
            let json = try? JSONParser().parse(Array(data)), let url = json["redis_url"]?.stringValue
        else { return nil }
        return RuntimeState(
            redisURL: url, httpAPI: json["http_api"]?.stringValue ?? "",
            awsEndpoint: json["aws_endpoint"]?.stringValue ?? "",
            gateways: json["gateways"]?.objectValue?.compactMapValues(\.stringValue) ?? [:],
            webSocketAPI: json["websocket_api"]?.stringValue,
            sandboxSettings: json["sandbox_settings"]?.objectValue?.compactMapValues(\.stringValue) ?? [:],
            pid: json["pid"]?.numberText.flatMap { pid_t($0) })
    }
}
