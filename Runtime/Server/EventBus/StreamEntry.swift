import SmartPayRedis

/// One entry of a Redis stream: its id and fields.
struct StreamEntry: Sendable {
    let id: String
    let fields: [String: String]

    subscript(field: String) -> String? { fields[field] }

    /// The fields as `XADD` arguments, in a stable order.
    var arguments: [String] { fields.keys.sorted().flatMap { [$0, fields[$0]!] } }

    init(id: String, fields: [String: String]) {
        self.id = id
        self.fields = fields
    }

    /// `[id, [field, value, …]]`; nil for an entry deleted while pending (its fields are nil).
    init?(_ reply: RedisReply) {
        guard let parts = reply.array, parts.count == 2, let id = parts[0].string, let flat = parts[1].array else {
            return nil
        }
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < flat.count {
            if let name = flat[index].string, let value = flat[index + 1].string { fields[name] = value }
            index += 2
        }
        self.init(id: id, fields: fields)
    }

    /// The entries of an `XREADGROUP` / `XREAD` reply, by stream key (empty for a timeout's null reply).
    static func streams(_ reply: RedisReply) -> [(key: String, entries: [StreamEntry])] {
        guard let streams = reply.array else { return [] }
        return streams.compactMap { stream in
            guard let parts = stream.array, parts.count == 2, let key = parts[0].string else { return nil }
            return (key, (parts[1].array ?? []).compactMap(StreamEntry.init))
        }
    }

    /// The entries of an `XRANGE` reply.
    static func list(_ reply: RedisReply) -> [StreamEntry] { (reply.array ?? []).compactMap(StreamEntry.init) }

    /// The milliseconds part of a stream id (`1700000000000-0`).
    static func milliseconds(of id: String) -> Int64 {
        Int64(id.split(separator: "-").first ?? "") ?? 0
    }
}
