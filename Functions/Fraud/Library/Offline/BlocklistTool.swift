import FunctionKit
import SmartPayRedis

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `fraud blocklist add|remove KIND VALUE` and `fraud blocklist list KIND`, against the store at `REDIS_URL`.
/// Emails are stored as their SHA-256 digest, so `list email` shows digests.
enum BlocklistTool {
    static func run(_ arguments: [String]) async throws {
        let kinds = BlocklistKind.allCases.map(\.rawValue).joined(separator: ", ")
        guard let action = arguments.first, ["add", "remove", "list"].contains(action) else {
            throw CommandUsageError("usage: fraud blocklist add|remove KIND VALUE, or list KIND (KIND: \(kinds))")
        }
        guard arguments.count >= 2, let kind = BlocklistKind(rawValue: arguments[1]) else {
            throw CommandUsageError("expected a list kind (\(kinds)), got \(arguments.dropFirst().first ?? "nothing")")
        }
        let expected = action == "list" ? 2 : 3
        guard arguments.count == expected else {
            throw CommandUsageError(
                action == "list" ? "list takes only the kind" : "\(action) takes the kind and one value")
        }
        guard let url = getenv("REDIS_URL").map({ String(cString: $0) }), !url.isEmpty else {
            throw CommandUsageError("REDIS_URL is not set (the fraud store's Redis)")
        }
        let store = RedisFraudStore(redis: try RedisClient(url: url, maximumConnections: 1))
        switch action {
        case "add":
            let added = try await store.addToBlocklist(kind, arguments[2])
            print(added ? "added to the \(kind.rawValue) blocklist" : "already on the \(kind.rawValue) blocklist")
        case "remove":
            let removed = try await store.removeFromBlocklist(kind, arguments[2])
            print(removed ? "removed from the \(kind.rawValue) blocklist" : "not on the \(kind.rawValue) blocklist")
        default:
            for value in try await store.blocklist(kind) { print(value) }
        }
    }
}
