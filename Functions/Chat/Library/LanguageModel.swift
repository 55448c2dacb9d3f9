import SmartPayCore
import SmartPayHTTP

/// A chat model that writes the answer from the passages and facts it is given.
public protocol LanguageModel: Sendable {
    var model: String { get }
    /// - Throws: `LanguageModelError` on a timeout, an error answer or an unreadable one.
    func complete(system: String, history: [ChatSession.Turn], question: String) async throws(LanguageModelError)
        -> String
}

public struct LanguageModelError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public let isTimeout: Bool
}

/// An OpenAI-compatible `POST {base}/v1/chat/completions` over libcurl (`CHAT_LLM_BASE_URL`, `CHAT_LLM_API_KEY`,
/// `CHAT_LLM_MODEL`), with a deadline (3 s): the assistant falls back to its grounded answer past it.
public struct OpenAICompatibleModel: LanguageModel {
    public let baseURL: String
    public let apiKey: String
    public let model: String
    public let timeout: Duration
    public let http: HTTPClient

    public init(baseURL: String, apiKey: String, model: String, timeout: Duration = .seconds(3), http: HTTPClient) {
        var base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        if base.hasSuffix("/v1") { base = String(base.dropLast(3)) }
        self.baseURL = base
        self.apiKey = apiKey
        self.model = model
        self.timeout = timeout
        self.http = http
    }

    public func complete(system: String, history: [ChatSession.Turn], question: String) async throws(LanguageModelError)
        -> String
    {
        var messages: [JSONValue] = [.object(["role": .string("system"), "content": .string(system)])]
        for turn in history.suffix(4) {
            messages.append(.object(["role": .string("user"), "content": .string(turn.question)]))
            messages.append(.object(["role": .string("assistant"), "content": .string(turn.answer)]))
        }
        messages.append(.object(["role": .string("user"), "content": .string(question)]))
        let body = JSONValue.object([
            "model": .string(model), "messages": .array(messages), "temperature": .number("0"),
        ]).serialized()
        let response: HTTPClientResponse
        do {
            response = try await http.execute(
                HTTPClientRequest(
                    method: "POST", url: baseURL + "/v1/chat/completions",
                    headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(apiKey)")],
                    body: body, timeout: timeout))
        } catch {
            let timedOut = error.code == .timeout
            throw LanguageModelError(
                description: timedOut ? "no answer within \(timeout)" : "unreachable: \(error.description)",
                isTimeout: timedOut)
        }
        guard response.status == 200 else {
            throw LanguageModelError(description: "HTTP \(response.status)", isTimeout: false)
        }
        guard let answer = try? JSONParser().parse(response.body),
            let content = answer["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue,
            !content.isEmpty
        else {
            throw LanguageModelError(description: "no choices[0].message.content in the answer", isTimeout: false)
        }
        return content
    }
}
