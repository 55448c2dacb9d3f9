import Logging
import SmartPayCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A swift-log backend writing one JSON object per line to stderr: `time`, `level`, `logger`, `message`, then the
/// metadata (`request_id`, `function`, …). Each line goes out in one `write`, so lines from threads never interleave.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public let label: String
    private let descriptor: Int32

    public init(label: String, level: Logger.Level = .info, descriptor: Int32 = 2) {
        self.label = label
        self.logLevel = level
        self.descriptor = descriptor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: JSONValue] = [
            "time": .string(Timestamp.now().description),
            "level": .string(event.level.rawValue),
            "logger": .string(label),
            "message": .string(event.message.description),
        ]
        for (key, value) in metadata { fields[key] = Self.json(value) }
        if let extra = event.metadata {
            for (key, value) in extra { fields[key] = Self.json(value) }
        }
        var line = JSONValue.object(fields).serialized()
        line.append(0x0A)
        line.withUnsafeBytes { _ = write(descriptor, $0.baseAddress!, $0.count) }
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let members): .object(members.mapValues(json))
        }
    }
}
