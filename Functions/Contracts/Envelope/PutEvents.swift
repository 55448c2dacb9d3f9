import SmartPayCore

/// EventBridge's PutEvents, as the API validates and answers it: each entry is checked on its own and answered
/// with an `EventId` or an `ErrorCode` / `ErrorMessage`; the answer counts the failures.
public enum PutEvents {
    /// The most entries one call may carry.
    public static let maximumEntries = 10
    /// The most bytes one entry may weigh, computed as AWS documents it.
    public static let maximumEntryBytes = 256 * 1024

    /// One entry of a PutEvents request (AWS's field names).
    public struct Entry: Sendable, Decodable {
        public var source: String?
        public var detailType: String?
        public var detail: String?
        public var resources: [String]?
        public var time: String?
        public var eventBusName: String?
        public var traceHeader: String?

        enum CodingKeys: String, CodingKey {
            case source = "Source", detailType = "DetailType", detail = "Detail", resources = "Resources", time = "Time"
            case eventBusName = "EventBusName", traceHeader = "TraceHeader"
        }

        public init(
            source: String?, detailType: String?, detail: String?, resources: [String]? = nil, time: String? = nil
        ) {
            self.source = source
            self.detailType = detailType
            self.detail = detail
            self.resources = resources
            self.time = time
        }

        /// The entry's size as AWS computes it: 14 bytes for a Time, plus the UTF-8 bytes of Source, DetailType,
        /// Detail and each resource.
        public var size: Int {
            (time == nil ? 0 : 14) + (source?.utf8.count ?? 0) + (detailType?.utf8.count ?? 0)
                + (detail?.utf8.count ?? 0)
                + (resources ?? []).reduce(0) { $0 + $1.utf8.count }
        }
    }

    /// How one entry was refused.
    public struct EntryError: Error, Sendable, Equatable {
        public let code: String
        public let message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// A whole call refused (AWS's `ValidationException`).
    public struct ValidationError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Checks every entry and builds the event for each accepted one, in EventBridge's envelope.
    /// - Throws: `ValidationError` for a call with no entries or more than ten.
    public static func accept(
        _ entries: [Entry], account: String = LocalAWS.account, region: String = LocalAWS.region,
        now: Timestamp = .now(),
        makeID: () -> String = { Identifier.random(prefix: "evt").rawValue }
    ) throws(ValidationError) -> [Result<JSONValue, EntryError>] {
        guard !entries.isEmpty else {
            throw ValidationError(
                message:
                    "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1"
            )
        }
        guard entries.count <= maximumEntries else {
            throw ValidationError(
                message:
                    "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to \(maximumEntries)"
            )
        }
        return entries.map { entry in
            Result { () throws(EntryError) -> JSONValue in
                try event(for: entry, account: account, region: region, now: now, id: makeID())
            }
        }
    }

    /// The PutEvents response for `results`: `{"FailedEntryCount": n, "Entries": [{"EventId"} | {"ErrorCode", "ErrorMessage"}]}`.
    public static func response(_ results: [Result<JSONValue, EntryError>]) -> JSONValue {
        var failed = 0
        let entries: [JSONValue] = results.map { result in
            switch result {
            case .success(let event): return .object(["EventId": event["id"] ?? .null])
            case .failure(let error):
                failed += 1
                return .object(["ErrorCode": .string(error.code), "ErrorMessage": .string(error.message)])
            }
        }
        return .object(["FailedEntryCount": .number(String(failed)), "Entries": .array(entries)])
    }

    /// One entry checked and wrapped in EventBridge's envelope with the given id.
    /// - Throws: `EntryError` as PutEvents answers it for this entry.
    public static func envelope(
        for entry: Entry, id: String, account: String = LocalAWS.account, region: String = LocalAWS.region,
        now: Timestamp = .now()
    ) throws(EntryError) -> JSONValue {
        try event(for: entry, account: account, region: region, now: now, id: id)
    }

    static func event(for entry: Entry, account: String, region: String, now: Timestamp, id: String) throws(EntryError)
        -> JSONValue
    {
        guard let source = entry.source, !source.isEmpty else {
            throw EntryError(
                code: "InvalidArgument",
                message: "Parameter Source is not valid. Reason: Source is a required argument.")
        }
        guard let detailType = entry.detailType, !detailType.isEmpty else {
            throw EntryError(
                code: "InvalidArgument",
                message: "Parameter DetailType is not valid. Reason: DetailType is a required argument.")
        }
        guard let detailText = entry.detail, !detailText.isEmpty else {
            throw EntryError(
                code: "InvalidArgument",
                message: "Parameter Detail is not valid. Reason: Detail is a required argument.")
        }
        if source.lowercased().hasPrefix("aws.") {
            throw EntryError(
                code: "NotAuthorizedForSourceException",
                message:
                    "Not authorized for the source \(source): sources starting with aws. are reserved for AWS services."
            )
        }
        guard entry.size <= maximumEntryBytes else {
            throw EntryError(
                code: "InvalidArgument",
                message: "The entry is \(entry.size) bytes; an entry may be at most \(maximumEntryBytes) bytes.")
        }
        guard let detail = try? JSONParser().parse(detailText), case .object = detail else {
            throw EntryError(code: "MalformedDetail", message: "Detail is malformed: it must be a JSON object.")
        }
        var time = now
        if let text = entry.time {
            guard let parsed = try? Timestamp(rfc3339: text) else {
                throw EntryError(
                    code: "InvalidArgument",
                    message: "Parameter Time is not valid: expected an RFC 3339 timestamp, got \"\(text)\".")
            }
            time = parsed
        }
        return .object([
            "version": .string("0"), "id": .string(id), "detail-type": .string(detailType), "source": .string(source),
            "account": .string(account), "time": .string(time.format(fractional: false)), "region": .string(region),
            "resources": .array((entry.resources ?? []).map { .string($0) }), "detail": detail,
        ])
    }
}
