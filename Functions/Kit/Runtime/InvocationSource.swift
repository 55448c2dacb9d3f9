/// Where invocations come from and where their outcomes go: the Lambda Runtime API, a file or stdin, or a test.
public protocol InvocationSource: Sendable {
    /// Waits for the next invocation (for ever, on the Runtime API).
    func next() async throws -> Invocation
    func respond(_ requestID: String, payload: [UInt8]) async throws
    func fail(_ requestID: String, error: FunctionError) async throws
    /// Reports that initialisation failed; the process exits afterwards.
    func failInitialization(_ error: FunctionError) async throws
    /// Whether the platform behind the source enforces each invocation's deadline itself (Lambda and the local
    /// runtime do: they report the timeout and replace the process). The loop then runs the handler inline, with
    /// no task and timer of its own per invocation; otherwise the harness enforces the deadline.
    var enforcesDeadline: Bool { get }
}

extension InvocationSource {
    public var enforcesDeadline: Bool { false }
}

/// One invocation: its payload and metadata.
public struct Invocation: Sendable {
    public var metadata: InvocationMetadata
    public var payload: [UInt8]

    public init(metadata: InvocationMetadata, payload: [UInt8]) {
        self.metadata = metadata
        self.payload = payload
    }
}
