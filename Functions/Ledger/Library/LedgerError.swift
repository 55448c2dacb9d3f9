import FunctionKit
import SmartPayLedger

/// What the ledger function refuses. A posting the ledger answers with a failure result is `refused`, naming the
/// result; a refund whose payment's capture has not arrived yet is `notYetPosted` (503: the bus retries it).
public struct LedgerError: Error, Sendable, Equatable, CustomStringConvertible, FunctionErrorConvertible {
    public enum Code: String, Sendable {
        case invalidPosting = "invalid_posting"
        case refused
        case notYetPosted = "not_yet_posted"
    }

    public let code: Code
    public let message: String
    public let field: String?

    init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public static func invalid(_ field: String, _ why: String) -> LedgerError {
        LedgerError(.invalidPosting, "\(field): \(why)", field: field)
    }

    public var description: String { message }

    public var functionError: FunctionError {
        switch code {
        case .invalidPosting: FunctionError(.validation, message, field: field)
        case .refused: FunctionError(.conflict, message, field: field)
        case .notYetPosted: FunctionError(.unavailable, message, field: field)
        }
    }
}

extension LedgerInputError: FunctionErrorConvertible {
    public var functionError: FunctionError { FunctionError(.validation, description, field: field) }
}
