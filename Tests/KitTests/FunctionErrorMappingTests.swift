import FunctionKit
import SmartPayCore
import SmartPayIO
import Testing

/// A dependency's failure as a client would report it.
private struct QueueDown: DependencyFailure {
    var dependency: String { "the queue" }
    var description: String { "queue connection_failed: refused" }
}

/// A domain error that knows its FunctionError.
private struct LedgerClosed: FunctionErrorConvertible, DependencyFailure {
    var dependency: String { "the ledger" }
    var description: String { "the ledger is closed for the day" }
    var functionError: FunctionError { FunctionError(.conflict, description) }
}

@Suite("FunctionError(wrapping:): the one mapping from any error to a status")
struct FunctionErrorMappingTests {
    @Test("a dependency's failure is unavailable (503, retryable) naming the dependency and the error")
    func dependencyFailure() {
        let error = FunctionError(wrapping: QueueDown())
        #expect(error.code == .unavailable && error.code.httpStatus == 503)
        #expect(error.code.errorType == "ServiceUnavailable")
        #expect(error.message == "the queue is unavailable: queue connection_failed: refused")
        #expect(error.field == nil && error.underlying is QueueDown)
    }

    @Test("a domain error's own conversion comes first; a FunctionError stays as it is")
    func precedence() {
        #expect(FunctionError(wrapping: LedgerClosed()).code == .conflict)
        let original = FunctionError.validation("amount", "must be positive")
        let wrapped = FunctionError(wrapping: original)
        #expect(wrapped.code == .validation && wrapped.message == original.message && wrapped.field == "amount")
    }

    @Test("unavailable(on:) still names the store for code that catches the FunctionError itself")
    func namedStore() async {
        do {
            _ = try await FunctionError.unavailable(on: QueueDown.self, "payment store") { () throws -> Int in
                throw QueueDown()
            }
            Issue.record("no error")
        } catch let error as FunctionError {
            #expect(error.code == .unavailable)
            #expect(error.message == "the payment store is unavailable: queue connection_failed: refused")
        } catch {
            Issue.record("not a FunctionError: \(error)")
        }
    }
}
