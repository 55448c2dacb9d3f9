import Crypto
import Foundation
import SmartPayCore
import SmartPayRedis

/// One merchant API key as stored: never the key itself, only an HMAC-SHA256 of it under the server's secret.
public struct APIKeyRecord: Sendable, Equatable {
    public let id: String
    public let merchantID: String
    public let scopes: [String]
    public let name: String?
    public let createdAt: Timestamp
    /// The key's last four characters, to tell keys apart in a list (as Stripe shows them).
    public let last4: String
    public let revokedAt: Timestamp?

    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "merchant_id": .string(merchantID), "scopes": .array(scopes.map { .string($0) }),
            "created_at": .string(createdAt.description), "last4": .string(last4),
            "status": .string(revokedAt == nil ? "active" : "revoked"),
        ]
        if let name { fields["name"] = .string(name) }
        if let revokedAt { fields["revoked_at"] = .string(revokedAt.description) }
        return .object(fields)
    }
}

/// Merchant API keys for server-to-server calls, in Redis. `create` returns the key once; lookups go by
/// HMAC-SHA256(secret, key), so neither Redis nor a dump of it ever holds a usable key.
///
/// Keys: `smartpay:apikey:digest:{hex}` → id; `smartpay:apikey:{id}` (hash: merchant, scopes, name, created_at,
/// last4, digest, revoked_at); `smartpay:apikeys` (set of ids).
public final class APIKeyStore: Sendable {
    /// Every key starts with this, so a gateway can tell a key from a JWT in an Authorization header.
    public static let prefix = "spk_"
    private static let lookup = RedisScript(
        """
        local id = redis.call('GET', KEYS[1])
        if not id then return false end
        local fields = redis.call('HGETALL', ARGV[1] .. id)
        table.insert(fields, 1, id)
        return fields
        """)

    private let redis: RedisClient
    private let secret: SymmetricKey

    public init(redis: RedisClient, secret: [UInt8]) {
        self.redis = redis
        self.secret = SymmetricKey(data: secret)
    }

    /// The server secret: `SMARTPAY_API_KEY_SECRET` (at least 32 characters), or `api-key-secret` under the state
    /// directory, created with 32 random bytes (mode 0600) when missing.
    /// - Throws: `AuthConfigurationError` for a short secret or a file that cannot be read or written.
    public static func secret(environment: [String: String], stateDirectory: String) throws(AuthConfigurationError)
        -> [UInt8]
    {
        if let text = environment["SMARTPAY_API_KEY_SECRET"] {
            guard text.utf8.count >= 32 else {
                throw AuthConfigurationError("SMARTPAY_API_KEY_SECRET must be at least 32 characters")
            }
            return Array(text.utf8)
        }
        let path = URL(fileURLWithPath: stateDirectory).appendingPathComponent("api-key-secret").path
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count >= 32 else { throw AuthConfigurationError("\(path) must hold at least 32 bytes") }
            return Array(data)
        }
        do {
            try SecretFile.write(Array(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }), to: path)
        } catch {
            throw AuthConfigurationError(error.description)
        }
        return try secret(environment: environment, stateDirectory: stateDirectory)
    }

    /// Creates a key; the returned string is the only copy of it.
    public func create(merchantID: String, scopes: [String], name: String? = nil) async throws(RedisError) -> (
        key: String, record: APIKeyRecord
    ) {
        let key = Self.prefix + "local_" + Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        let id = "key_" + Base64URL.encode(SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) })
        let record = APIKeyRecord(
            id: id, merchantID: merchantID, scopes: scopes, name: name, createdAt: .now(),
            last4: String(key.suffix(4)), revokedAt: nil)
        let digest = digest(of: key)
        var fields = [
            "HSET", "smartpay:apikey:\(id)", "merchant", merchantID, "scopes", scopes.joined(separator: " "),
            "created_at", String(record.createdAt.millisecondsSinceEpoch), "last4", record.last4, "digest", digest,
        ]
        if let name { fields += ["name", name] }
        _ = try await redis.transaction([
            fields, ["SET", "smartpay:apikey:digest:\(digest)", id], ["SADD", "smartpay:apikeys", id],
        ])
        return (key, record)
    }

    /// The active key's record; nil for an unknown or revoked key.
    public func authenticate(_ key: String) async throws(RedisError) -> APIKeyRecord? {
        guard key.hasPrefix(Self.prefix), key.utf8.count < 200 else { return nil }
        let reply = try await redis.evaluate(
            Self.lookup, keys: ["smartpay:apikey:digest:\(digest(of: key))"], arguments: ["smartpay:apikey:"])
        guard let values = reply.array?.compactMap(\.string), let id = values.first else { return nil }
        let record = Self.record(id: id, values: Array(values.dropFirst()))
        return record?.revokedAt == nil ? record : nil
    }

    /// Every key (or one merchant's), newest first, without secrets.
    public func list(merchantID: String? = nil) async throws(RedisError) -> [APIKeyRecord] {
        let ids = try await redis.send("SMEMBERS", "smartpay:apikeys").array?.compactMap(\.string) ?? []
        let replies = try await redis.pipeline(ids.map { ["HGETALL", "smartpay:apikey:\($0)"] })
        return zip(ids, replies).compactMap { id, reply in
            Self.record(id: id, values: reply.array?.compactMap(\.string) ?? [])
        }
        .filter { merchantID == nil || $0.merchantID == merchantID }
        .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    /// Revokes a key at once: its digest no longer resolves. False when there is no such active key.
    public func revoke(id: String) async throws(RedisError) -> Bool {
        let fields = try await redis.send("HGETALL", "smartpay:apikey:\(id)").array?.compactMap(\.string) ?? []
        guard let record = Self.record(id: id, values: fields), record.revokedAt == nil else { return false }
        let digest = Self.field("digest", in: fields) ?? ""
        _ = try await redis.transaction([
            ["DEL", "smartpay:apikey:digest:\(digest)"],
            ["HSET", "smartpay:apikey:\(id)", "revoked_at", String(Timestamp.now().millisecondsSinceEpoch)],
        ])
        return true
    }

    private func digest(of key: String) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(key.utf8), using: secret))
    }

    private static func field(_ name: String, in values: [String]) -> String? {
        var index = 0
        while index + 1 < values.count {
            if values[index] == name { return values[index + 1] }
            index += 2
        }
        return nil
    }

    private static func record(id: String, values: [String]) -> APIKeyRecord? {
        guard let merchant = field("merchant", in: values) else { return nil }
        return APIKeyRecord(
            id: id, merchantID: merchant,
            scopes: (field("scopes", in: values) ?? "").split(separator: " ").map(String.init),
            name: field("name", in: values),
            createdAt: Timestamp(millisecondsSinceEpoch: Int64(field("created_at", in: values) ?? "") ?? 0),
            last4: field("last4", in: values) ?? "",
            revokedAt: field("revoked_at", in: values).flatMap(Int64.init).map {
                Timestamp(millisecondsSinceEpoch: $0)
            })
    }
}
