import Foundation
import FunctionKit

/// The body of `POST /chat` and of the direct `ask` action: `{"question": "…", "session_id": "chs_…"}`. Unknown
/// fields are refused (400 naming the field); a field of the wrong type, a missing, empty or over-2,000-character
/// question and a `session_id` that is not an earlier answer's are 422s naming theirs.
public struct ChatQuestion: Decodable, Sendable, Equatable, ValidatedBody {
    /// As sent; `text` is what is answered.
    public var question: String?
    /// The `session_id` of an earlier answer, for a follow-up.
    public var sessionID: String?

    /// Most characters in a question, once trimmed.
    public static let maximumLength = 2_000

    public init(question: String?, sessionID: String? = nil) {
        self.question = question
        self.sessionID = sessionID
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case question, sessionID }

    /// The question without surrounding white space.
    public var text: String { (question ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }

    public func validate() throws(FunctionError) {
        guard question != nil else { throw FunctionError.validation("question", "is required: {\"question\": \"…\"}") }
        try FieldRule.text(sessionID, "session_id", maximum: 64)
        let text = self.text
        guard !text.isEmpty else { throw FunctionError.validation("question", "is empty: ask a question") }
        guard text.count <= Self.maximumLength else {
            throw FunctionError.validation(
                "question", "is \(text.count) characters; the most is \(Self.maximumLength)")
        }
        if let sessionID, !ChatService.isSessionID(sessionID) {
            throw FunctionError.validation("session_id", "expected the session_id of an earlier answer (chs_…)")
        }
    }
}
