import SmartPayCore

/// How one invocation ended, as the Lambda service would report it.
public enum InvocationOutcome: Sendable {
    /// The function's response document.
    case response([UInt8])
    /// The function reported an error (`/error`): its type and Lambda's error document.
    case functionError(type: String, document: [UInt8])
    /// The process ran past the function's timeout and was killed.
    case timeout(seconds: Int)
    /// The process exited or crashed while handling the invocation (`Runtime.ExitError`).
    case exited(String)
    /// Initialisation failed (`/init/error`, or the process died before asking for work).
    case initError(type: String, document: [UInt8])

    /// The error document a caller sees for a failed invocation, nil for a response.
    public func errorDocument(requestID: String) -> (type: String, document: [UInt8])? {
        switch self {
        case .response: return nil
        case .functionError(let type, let document), .initError(let type, let document): return (type, document)
        case .timeout(let seconds):
            return Self.error(
                "Sandbox.Timedout", "RequestId: \(requestID) Error: Task timed out after \(seconds).00 seconds")
        case .exited(let how):
            return Self.error("Runtime.ExitError", "RequestId: \(requestID) Error: Runtime exited with error: \(how)")
        }
    }

    /// The payload a caller sees: the response, or the error document.
    public func payload(requestID: String) -> [UInt8] {
        if case .response(let bytes) = self { return bytes }
        return errorDocument(requestID: requestID)?.document ?? []
    }

    public var isSuccess: Bool {
        if case .response = self { return true }
        return false
    }

    /// An error type with its document.
    private static func error(_ type: String, _ message: String) -> (type: String, document: [UInt8]) {
        (type, document(type: type, message: message))
    }

    static func document(type: String, message: String) -> [UInt8] {
        JSONValue.object(["errorType": .string(type), "errorMessage": .string(message)]).serialized()
    }
}

/// One finished invocation with Lambda's REPORT figures.
public struct InvocationRecord: Sendable {
    public let requestID: String
    public let function: String
    public let outcome: InvocationOutcome
    public let duration: Duration
    /// Set on a cold start: how long the process took from spawn to asking for its first invocation.
    public let initDuration: Duration?
    public let memorySizeMB: Int
    public let maxMemoryUsedMB: Int?

    /// The same record with the process's peak memory filled in (known once the process has exited).
    public func withMaxMemoryUsed(kilobytes: Int?) -> InvocationRecord {
        guard maxMemoryUsedMB == nil, let kilobytes else { return self }
        return InvocationRecord(
            requestID: requestID, function: function, outcome: outcome, duration: duration, initDuration: initDuration,
            memorySizeMB: memorySizeMB, maxMemoryUsedMB: (kilobytes + 1023) / 1024)
    }

    /// Lambda's report line: `REPORT RequestId: … Duration: 3.21 ms Billed Duration: 4 ms Memory Size: 128 MB …`.
    public var reportLine: String {
        let milliseconds = Self.milliseconds(duration)
        var line =
            "REPORT RequestId: \(requestID)\tDuration: \(Self.format(milliseconds)) ms\tBilled Duration: \(Int(milliseconds.rounded(.up))) ms"
        line += "\tMemory Size: \(memorySizeMB) MB"
        if let maxMemoryUsedMB { line += "\tMax Memory Used: \(maxMemoryUsedMB) MB" }
        if let initDuration { line += "\tInit Duration: \(Self.format(Self.milliseconds(initDuration))) ms" }
        return line
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    static func format(_ milliseconds: Double) -> String {
        let hundredths = Int((milliseconds * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
