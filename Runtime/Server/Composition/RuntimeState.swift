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

    public init(
        redisURL: String, httpAPI: String, awsEndpoint: String, gateways: [String: String] = [:],
        webSocketAPI: String? = nil
    ) {
        self.redisURL = redisURL
        self.httpAPI = httpAPI
        self.awsEndpoint = awsEndpoint
        self.gateways = gateways
        self.webSocketAPI = webSocketAPI
    }

    static func path(in directory: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent("serve.json").path
    }

    func write(to directory: String) {
        let json = JSONValue.object([
            "redis_url": .string(redisURL), "http_api": .string(httpAPI), "aws_endpoint": .string(awsEndpoint),
            "pid": .number(String(getpid())), "gateways": .object(gateways.mapValues(JSONValue.string)),
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
            webSocketAPI: json["websocket_api"]?.stringValue)
    }
}
