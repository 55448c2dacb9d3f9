/// Topics a connection may subscribe to: `merchant:{id}` and `customer:{id}`.
public enum Topic {
    public static let kinds = ["merchant", "customer"]

    /// Ids as the platform writes them: letters, digits, `_`, `-`, `.`, at most 64.
    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
            && id.utf8.allSatisfy {
                $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            }
    }

    /// (kind, id) when the topic is well formed.
    public static func parse(_ topic: String) -> (kind: String, id: String)? {
        let parts = topic.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, kinds.contains(parts[0]), isValidID(parts[1]) else { return nil }
        return (parts[0], parts[1])
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
