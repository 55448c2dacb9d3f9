import Foundation

/// Limits checked on a request before any function runs, each refused with a 4xx that names it.
public struct RequestLimits: Sendable {
    /// API Gateway's payload limit for Lambda integrations.
    public var maximumBodyBytes = 6 * 1024 * 1024
    /// API Gateway's limit on the request line and headers together.
    public var maximumHeaderBytes = 10 * 1024
    public var maximumJSONDepth = 32

    public init() {}

    public struct Violation: Error, Sendable, Equatable {
        public let status: Int
        public let message: String
    }

    /// `headerBytes` is the size of the request line and headers as they were sent.
    public func checkHead(headerBytes: Int, contentType: String?, hasBody: Bool) -> Violation? {
        if headerBytes > maximumHeaderBytes {
            return Violation(
                status: 431,
                message: "the request line and headers are \(headerBytes) bytes; the limit is \(maximumHeaderBytes)")
        }
        if hasBody, let contentType, !Self.isJSON(contentType) {
            return Violation(status: 415, message: "Content-Type \(contentType) is not accepted; send application/json")
        }
        return nil
    }

    /// The body after it was read: its JSON nesting (when it is JSON).
    public func checkBody(_ body: [UInt8], contentType: String?) -> Violation? {
        guard !body.isEmpty, contentType.map(Self.isJSON) ?? true else { return nil }
        let depth = Self.nestingDepth(body, stopAfter: maximumJSONDepth)
        if depth > maximumJSONDepth {
            return Violation(
                status: 400, message: "the JSON body nests deeper than \(maximumJSONDepth) levels (the limit)")
        }
        return nil
    }

    static func isJSON(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let type else { return false }
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }

    /// The deepest nesting of arrays and objects, outside strings; stops counting once past `stopAfter`.
    static func nestingDepth(_ bytes: [UInt8], stopAfter limit: Int) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > deepest {
                    deepest = depth
                    if deepest > limit { return deepest }
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
