import Foundation
import FunctionKit
import Logging
import SmartPayCore
import SmartPayHTTP
import SmartPayInvoke
import SmartPayRedis

/// The chat function: `POST /chat` with a `ChatQuestion` (`{"question": "…", "session_id": "…"}`) answers
/// `{"answer", "citations", "session_id", "grounded", "provider"}` (see `ChatService`). The caller's identity comes
/// from the request context; invoked directly (the `ask` action, the default: `{"question": "…"}` needs no
/// `action`) by a trusted caller inside the platform, it has none and is told nothing about payments.
///
/// Configuration: `REDIS_URL`; `CHAT_KNOWLEDGE_DIR` (default: `knowledge/` beside the binary, else
/// `Functions/Chat/knowledge` under the working directory); `CHAT_PAY_FUNCTION` (`pay`) and `AWS_ENDPOINT_URL_LAMBDA`
/// for the payment records; the optional provider `CHAT_LLM_BASE_URL`, `CHAT_LLM_API_KEY` (or `_FILE`),
/// `CHAT_LLM_MODEL`, `CHAT_LLM_TIMEOUT_MS` (3000).
public struct ChatHandler: RoutedFunction {
    public static let routes = FunctionRoutes<ChatHandler>(defaultAction: "ask") { routes in
        routes.http("POST /chat", body: ChatQuestion.self) { chat, question, _, context in
            try await chat.service.answer(question, identity: context.identity, logger: context.logger)
        }
        routes.action("ask", body: ChatQuestion.self) { chat, question, context in
            try await chat.service.answer(question, identity: context.identity, logger: context.logger)
        }
    }

    public let service: ChatService

    public init(service: ChatService) { self.service = service }

    public init(context: InitializationContext) async throws {
        let configuration = context.configuration
        let redis = try RedisClient(
            url: try configuration.require("REDIS_URL"), maximumConnections: 8, service: "the chat store")
        let knowledge = try KnowledgeBase(directory: try Self.knowledgeDirectory(configuration))
        let http = HTTPClient()
        var model: (any LanguageModel)?
        if let base = configuration.string("CHAT_LLM_BASE_URL") {
            guard let key = try configuration.secret("CHAT_LLM_API_KEY") else {
                throw FunctionError(.invalidRequest, "CHAT_LLM_BASE_URL is set but CHAT_LLM_API_KEY(_FILE) is not")
            }
            let timeout = try configuration.integer("CHAT_LLM_TIMEOUT_MS", default: 3000)
            model = OpenAICompatibleModel(
                baseURL: base, apiKey: key, model: try configuration.require("CHAT_LLM_MODEL"),
                timeout: .milliseconds(max(1, timeout)), http: http)
        }
        self.init(
            service: ChatService(
                knowledge: knowledge,
                payments: InvokedPaymentLookup(
                    invoker: LambdaInvoker(environment: configuration.values, http: http),
                    function: configuration.string("CHAT_PAY_FUNCTION") ?? "pay"),
                store: ChatStore(redis: redis), model: model))
        context.logger.info(
            "chat ready",
            metadata: [
                "sections": .stringConvertible(knowledge.passages.count),
                "provider": .string(model?.model ?? "none (answers from the documentation)"),
            ])
    }

    static func knowledgeDirectory(_ configuration: FunctionConfiguration) throws -> URL {
        if let path = configuration.string("CHAT_KNOWLEDGE_DIR") { return URL(fileURLWithPath: path) }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("knowledge")
        let candidates = [beside, URL(fileURLWithPath: "Functions/Chat/knowledge")]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw FunctionError(
                .invalidRequest,
                "no knowledge base: set CHAT_KNOWLEDGE_DIR (looked in \(candidates.map(\.path).joined(separator: ", ")))"
            )
        }
        return found
    }
}
