import ChatFunction
import Foundation
import FunctionKit
import Hummingbird
import Logging
import NIOCore
import SmartPayCore
import SmartPayHTTP
import SmartPayRedis
import Synchronization
import TestSupport
import Testing

let knowledgeDirectory = Executables.repositoryRoot.appendingPathComponent("Functions/Chat/knowledge")
let logger = Logger(label: "chat-test")

/// Payments by id, as pay would answer them; counts the lookups.
final class FakePayments: PaymentLookup {
    let records: [String: JSONValue]
    let lookups = Mutex(0)

    init(_ records: [JSONValue]) {
        var byID: [String: JSONValue] = [:]
        for record in records { byID[record["id"]!.stringValue!] = record }
        self.records = byID
    }

    func payment(id: String) async throws -> JSONValue? {
        lookups.withLock { $0 += 1 }
        return records[id]
    }

    func latest(customerID: String?, merchantID: String?) async throws -> JSONValue? {
        records.values.filter {
            (customerID == nil || $0["customer_id"]?.stringValue == customerID)
                && (merchantID == nil || $0["merchant_id"]?.stringValue == merchantID)
        }.max { ($0["created"]?.stringValue ?? "") < ($1["created"]?.stringValue ?? "") }
    }
}

func payment(_ id: String, customer: String, status: String, failure: String? = nil) throws -> JSONValue {
    var text =
        #"{"id": "\#(id)", "customer_id": "\#(customer)", "merchant_id": "m_42", "status": "\#(status)", "amount": 2599, "currency": "USD", "fee": 105, "net": 2494, "amount_refunded": 0, "created": "2026-11-22T10:15:30.000Z""#
    if let failure { text += #", "failure": {"code": "\#(failure)", "message": "declined"}"# }
    return try JSONParser().parse(Array((text + "}").utf8))
}

func identity(_ subject: String, role: String) -> Identity {
    Identity(
        requestContext: .object([
            "authorizer": .object([
                "jwt": .object([
                    "claims": .object(["sub": .string(subject), "role": .string(role)]), "scopes": .null,
                ])
            ])
        ]))!
}

@Suite("chat: retrieval, redaction")
struct ChatRetrievalTests {
    @Test("the question set: the expected section is among the best three for at least 90 % of the questions")
    func recallAtThree() throws {
        let knowledge = try KnowledgeBase(directory: knowledgeDirectory)
        let data = try Data(
            contentsOf: Executables.repositoryRoot.appendingPathComponent("Tests/ChatTests/questions.json"))
        let questions = try JSONParser().parse(Array(data)).arrayValue ?? []
        #expect(questions.count >= 40)
        var misses: [String] = []
        for item in questions {
            let question = item["q"]!.stringValue!
            let expected = (item["path"]!.stringValue!, item["heading"]!.stringValue!)
            let top = knowledge.search(question, limit: 3).map { ($0.passage.path, $0.passage.heading) }
            if !top.contains(where: { $0.0.hasSuffix("/" + expected.0) && $0.1 == expected.1 }) {
                misses.append("\(question) → \(top.map { "\($0.0)#\($0.1)" })")
            }
        }
        let recall = Double(questions.count - misses.count) / Double(questions.count)
        print("chat retrieval recall@3: \(recall) over \(questions.count) questions; misses: \(misses)")
        #expect(recall >= 0.9, "\(misses.joined(separator: "\n"))")
    }

    @Test("sections are cut at headings and keep their document's path")
    func chunks() throws {
        let knowledge = try KnowledgeBase(directory: knowledgeDirectory)
        let statuses = try #require(knowledge.passages.first { $0.heading == "Payment statuses" })
        #expect(statuses.path == "Functions/Chat/knowledge/payments.md" && statuses.title == "Payments")
        #expect(statuses.text.contains("`requires_action`") && !statuses.text.contains("## "))
        #expect(knowledge.definition(of: "insufficient_funds")?.text.contains("does not have enough money") == true)
    }

    @Test("card numbers (Luhn, with spaces or dashes), security codes beside card words and emails are masked")
    func redaction() {
        #expect(Redaction.redact("my card 4242 4242 4242 4242 failed") == "my card [card number] failed")
        #expect(Redaction.redact("card 4000-0566-5566-5556, cvv 123") == "card [card number], cvv [security code]")
        #expect(
            Redaction.redact("number 4242424242424242 and CVC: 9876") == "number [card number] and CVC: [security code]"
        )
        #expect(Redaction.redact("write to jane.doe@example.com.") == "write to [email].")
        // Not a card: fails Luhn, or too short; a 3-digit number without a card word stays.
        #expect(Redaction.redact("order 4242 4242 4242 4241") == "order 4242 4242 4242 4241")
        #expect(Redaction.redact("ticket 123456789012") == "ticket 123456789012")
        #expect(Redaction.redact("I paid 123 USD") == "I paid 123 USD")
        #expect(Redaction.redact("payment pay_1234567890 of 2599") == "payment pay_1234567890 of 2599")
    }
}

@Suite("chat: answers, personal questions, sessions, the cache, the provider")
struct ChatServiceTests {
    func service(_ server: RedisServer, payments: FakePayments, model: (any LanguageModel)? = nil) throws
        -> ChatService
    {
        ChatService(
            knowledge: try KnowledgeBase(directory: knowledgeDirectory), payments: payments,
            store: ChatStore(redis: RedisClient(configuration: server.configuration)), model: model)
    }

    func records() throws -> FakePayments {
        FakePayments([
            try payment("pay_c7good01", customer: "c_7", status: "succeeded"),
            try payment("pay_c7fail01", customer: "c_7", status: "failed", failure: "insufficient_funds"),
            try payment("pay_c8only01", customer: "c_8", status: "succeeded"),
        ])
    }

    static func context(_ source: EventSource) -> InvocationContext {
        InvocationContext(
            requestID: "r1", deadline: .now + .seconds(10), logger: logger, functionName: "chat",
            configuration: FunctionConfiguration([:]), source: source)
    }

    @Test(
        "routes: POST /chat and the direct ask action (the default) take a ChatQuestion; unknown fields refused by name, bad ones 422; events/chat"
    )
    func routes() async throws {
        try await RedisServer.with { server in
            let chat = ChatHandler(service: try service(server, payments: try records()))
            func ask(_ text: String, _ source: EventSource = .direct) async throws -> JSONValue {
                try JSONValueEncoder().encode(
                    try await chat.handle(try JSONParser().parse(Array(text.utf8)), context: Self.context(source)))
            }
            func refusal(_ text: String, _ source: EventSource = .direct) async -> FunctionError? {
                do {
                    _ = try await ask(text, source)
                    return nil
                } catch {
                    return FunctionError(wrapping: error)
                }
            }
            let http = EventSource.httpAPI(
                HTTPAPIRequest(
                    method: "POST", path: "/chat", routeKey: "POST /chat", headers: [:], queryStringParameters: [:],
                    pathParameters: [:],
                    requestContext: .object([
                        "authorizer": .object([
                            "jwt": .object(["claims": .object(["sub": .string("c_7"), "role": .string("customer")])])
                        ])
                    ])))
            let own = try await ask(#"{"question": "Where is my payment pay_c7good01?"}"#, http)
            #expect(own["answer"]?.stringValue?.contains("pay_c7good01 of 25.99 USD") == true, "\(own)")
            // Directly there is no identity: nothing about payments.
            let direct = try await ask(#"{"action": "ask", "question": "Where is my payment pay_c7good01?"}"#)
            #expect(direct["answer"]?.stringValue == "I cannot find a payment pay_c7good01 among yours.", "\(direct)")
            let session = try #require(own["session_id"]?.stringValue)
            let again = try await ask(#"{"question": "and the other one?", "session_id": "\#(session)"}"#, http)
            #expect(again["session_id"]?.stringValue == session)

            let misspelt = await refusal(#"{"question": "fees?", "sesion_id": "chs_x"}"#, http)
            #expect(
                misspelt?.code == .invalidRequest && misspelt?.field == "sesion_id", "\(String(describing: misspelt))")
            let number = await refusal(#"{"question": 5}"#, http)
            #expect(number?.code == .validation && number?.field == "question")
            let missing = await refusal(#"{"session_id": "\#(session)"}"#)
            #expect(
                missing?.message == "question: is required: {\"question\": \"…\"}", "\(String(describing: missing))")
            let long = await refusal(#"{"question": "fees?", "session_id": "\#(String(repeating: "s", count: 65))"}"#)
            #expect(long?.field == "session_id" && long?.code == .validation)

            let examples = Executables.repositoryRoot.appendingPathComponent("events/chat")
            for file in try FileManager.default.contentsOfDirectory(atPath: examples.path).sorted() {
                let text = try String(contentsOf: examples.appendingPathComponent(file), encoding: .utf8)
                if file.hasPrefix("invalid-") {
                    let error = await refusal(text)
                    #expect(error?.code == .validation && error?.field != nil, "\(file): \(String(describing: error))")
                } else {
                    let answer = try await ask(text)
                    #expect(answer["answer"]?.stringValue?.isEmpty == false, "\(file): \(answer)")
                }
            }
        }
    }

    @Test("a general question: the documentation's own words, cited; cached for the next asker, said so")
    func general() async throws {
        try await RedisServer.with { server in
            let chat = try service(server, payments: try records())
            let first = try await chat.ask(
                question: "What does insufficient_funds mean?", sessionID: nil, identity: nil, logger: logger)
            #expect(first["answer"]?.stringValue?.contains("does not have enough money") == true, "\(first)")
            #expect(first["grounded"] == .bool(true) && first["provider"] == .null && first["cached"] == .bool(false))
            let citation = try #require(first["citations"]?.arrayValue?.first)
            #expect(citation["path"]?.stringValue == "Functions/Chat/knowledge/declines.md")
            #expect(citation["heading"]?.stringValue == "Card declines")
            #expect(first["session_id"]?.stringValue?.hasPrefix("chs_") == true)
            let again = try await chat.ask(
                question: "  what does INSUFFICIENT_FUNDS mean ", sessionID: nil,
                identity: identity("c_9", role: "customer"),
                logger: logger)
            #expect(again["cached"] == .bool(true) && again["answer"] == first["answer"])
            #expect(again["session_id"] != first["session_id"])
            let unknown = try await chat.ask(
                question: "What is the capital of Mongolia?", sessionID: nil, identity: nil, logger: logger)
            #expect(unknown["grounded"] == .bool(false) && unknown["citations"] == .array([]))
        }
    }

    @Test("own payments answered from the record; another's and a missing one get the same refusal; never cached")
    func personal() async throws {
        try await RedisServer.with { server in
            let payments = try records()
            let chat = try service(server, payments: payments)
            let c7 = identity("c_7", role: "customer")
            let own = try await chat.ask(
                question: "Why was my payment pay_c7fail01 declined?", sessionID: nil, identity: c7, logger: logger)
            let text = try #require(own["answer"]?.stringValue)
            #expect(text.contains("pay_c7fail01 of 25.99 USD") && text.contains("is failed"), "\(text)")
            #expect(text.contains("does not have enough money"), "the decline in plain words: \(text)")
            #expect(!text.contains("2494") && !text.contains("24.94"), "a customer does not see the net")
            let paths = own["citations"]?.arrayValue?.compactMap { $0["heading"]?.stringValue } ?? []
            #expect(paths.contains("Card declines") && paths.contains("Payment statuses"))

            let foreign = try await chat.ask(
                question: "Where is my payment pay_c8only01?", sessionID: nil, identity: c7, logger: logger)
            let missing = try await chat.ask(
                question: "Where is my payment pay_nothere01?", sessionID: nil, identity: c7, logger: logger)
            #expect(foreign["answer"]?.stringValue == "I cannot find a payment pay_c8only01 among yours.")
            #expect(missing["answer"]?.stringValue == "I cannot find a payment pay_nothere01 among yours.")
            #expect(foreign["citations"] == .array([]) && missing["citations"] == .array([]))

            // The cache never answers a personal question: the owner asks, then a stranger asks the same words.
            let question = "When will the merchant be paid for pay_c7good01?"
            let merchant = try await chat.ask(
                question: question, sessionID: nil, identity: identity("m_42", role: "merchant"), logger: logger)
            #expect(merchant["answer"]?.stringValue?.contains("net is 24.94 USD") == true, "\(merchant)")
            #expect(merchant["answer"]?.stringValue?.contains("settlement") == true)
            let before = payments.lookups.withLock { $0 }
            let stranger = try await chat.ask(
                question: question, sessionID: nil, identity: identity("c_8", role: "customer"), logger: logger)
            #expect(stranger["answer"]?.stringValue == "I cannot find a payment pay_c7good01 among yours.")
            #expect(stranger["cached"] == .bool(false) && payments.lookups.withLock { $0 } == before + 1)
        }
    }

    @Test("a first-person question that names no payment is answered from the documentation; naming one is personal")
    func firstPersonGeneral() async throws {
        try await RedisServer.with { server in
            let chat = try service(server, payments: try records())
            let c7 = identity("c_7", role: "customer")
            let c9 = identity("c_9", role: "customer")
            for caller in [c7, c9] {
                let answer = try await chat.ask(
                    question: "Why would my payment be declined?", sessionID: nil, identity: caller, logger: logger)
                #expect(answer["payments"] == nil && answer["grounded"] == .bool(true), "\(answer)")
                #expect(answer["answer"]?.stringValue?.contains("payments of yours") == false, "\(answer)")
                let citations = answer["citations"]?.arrayValue ?? []
                #expect(
                    citations.contains {
                        $0["path"]?.stringValue == "Functions/Chat/knowledge/declines.md"
                            && $0["heading"]?.stringValue == "Why a payment was declined"
                    }, "\(answer)")
            }
            let supposed = try await chat.ask(
                question: "What happens if my payment fails?", sessionID: nil, identity: c9, logger: logger)
            #expect(supposed["answer"]?.stringValue?.contains("payments of yours") == false, "\(supposed)")
            #expect(supposed["citations"]?.arrayValue?.isEmpty == false, "\(supposed)")

            for question in ["Why was my last payment declined?", "Why was my payment declined?"] {
                let own = try await chat.ask(question: question, sessionID: nil, identity: c7, logger: logger)
                #expect(own["payments"]?.arrayValue?.count == 1, "\(question) \(own)")
                let none = try await chat.ask(question: question, sessionID: nil, identity: c9, logger: logger)
                #expect(
                    none["answer"]?.stringValue
                        == "I cannot find any payments of yours. Ask with the payment's id (pay_…).")
            }
        }
    }

    @Test(
        "sessions: follow-ups use the conversation; a follow-up without one, bad input and others' sessions are errors")
    func sessions() async throws {
        try await RedisServer.with { server in
            let chat = try service(server, payments: try records())
            let c7 = identity("c_7", role: "customer")
            let first = try await chat.ask(
                question: "What about pay_c7good01 and pay_c7fail01?", sessionID: nil, identity: c7, logger: logger)
            let session = try #require(first["session_id"]?.stringValue)
            let checked = try await chat.ask(
                question: "Tell me about pay_c7fail01", sessionID: session, identity: c7, logger: logger)
            #expect(checked["answer"]?.stringValue?.contains("pay_c7fail01") == true)
            let other = try await chat.ask(
                question: "and the other one?", sessionID: session, identity: c7, logger: logger)
            #expect(other["answer"]?.stringValue?.contains("pay_c7good01") == true, "\(other)")
            #expect(other["session_id"]?.stringValue == session)

            await #expect(throws: FunctionError.self) {
                try await chat.ask(question: "and the other one?", sessionID: nil, identity: c7, logger: logger)
            }
            do {
                _ = try await chat.ask(question: "and the other one?", sessionID: nil, identity: c7, logger: logger)
            } catch let error as FunctionError {
                #expect(error.field == "session_id")
            }
            // Someone else's session is no session at all.
            do {
                _ = try await chat.ask(
                    question: "and the other one?", sessionID: session, identity: identity("c_8", role: "customer"),
                    logger: logger)
                Issue.record("another caller's session was used")
            } catch let error as FunctionError {
                #expect(error.code == .notFound)
            }
            for (question, field) in [
                ("", "question"), ("   ", "question"), (String(repeating: "a", count: 2001), "question"),
            ] {
                do {
                    _ = try await chat.ask(question: question, sessionID: nil, identity: c7, logger: logger)
                    Issue.record("\"\(question.prefix(10))\" was accepted")
                } catch let error as FunctionError {
                    #expect(error.field == field && error.code == .validation)
                }
            }
            do {
                _ = try await chat.ask(question: "fees?", sessionID: "nope", identity: c7, logger: logger)
                Issue.record("a malformed session id was accepted")
            } catch let error as FunctionError {
                #expect(error.field == "session_id")
            }
            // Session memory holds the question redacted.
            _ = try await chat.ask(
                question: "my card 4242 4242 4242 4242 cvv 123 was declined, mail jane@example.com", sessionID: session,
                identity: c7, logger: logger)
            let stored = try #require(
                try await ChatStore(redis: RedisClient(configuration: server.configuration)).session(session))
            let last = try #require(stored.turns.last?.question)
            #expect(last == "my card [card number] cvv [security code] was declined, mail [email]", "\(last)")
        }
    }

    @Test(
        "an OpenAI-compatible provider: used when it answers (the prompt redacted), fallback on a timeout or an error")
    func provider() async throws {
        let seen = Mutex<[String]>([])
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let text = String(buffer: body)
            seen.withLock { $0.append(text) }
            if text.contains("slowly") { try await Task.sleep(for: .seconds(5)) }
            if text.contains("break") { return Response(status: .internalServerError) }
            guard request.headers[.authorization] == "Bearer sk-test" else { return Response(status: .unauthorized) }
            let answer =
                #"{"choices": [{"message": {"role": "assistant", "content": "Refunds go back to the card."}}]}"#
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: answer)))
        }
        try await LiveHTTPServer.with(router) { port in
            try await RedisServer.with { server in
                let model = OpenAICompatibleModel(
                    baseURL: "http://127.0.0.1:\(port)/v1", apiKey: "sk-test", model: "test-model",
                    timeout: .seconds(3), http: HTTPClient())
                let chat = try service(server, payments: try records(), model: model)
                let used = try await chat.ask(
                    question: "How do I refund a payment? my card is 4242 4242 4242 4242", sessionID: nil,
                    identity: nil,
                    logger: logger)
                #expect(used["answer"]?.stringValue == "Refunds go back to the card.", "\(used)")
                #expect(
                    used["provider"]?["used"] == .bool(true) && used["provider"]?["model"]?.stringValue == "test-model")
                #expect(used["citations"]?.arrayValue?.isEmpty == false)
                let prompt = try #require(seen.withLock { $0.first })
                #expect(!prompt.contains("4242 4242") && prompt.contains("[card number]"), "\(prompt)")
                #expect(prompt.contains("Refunding a payment"), "the passages are in the prompt")

                let started = ContinuousClock.now
                let slow = try await chat.ask(
                    question: "How do refunds work, slowly?", sessionID: nil, identity: nil, logger: logger)
                #expect(ContinuousClock.now - started < .seconds(5))
                #expect(slow["provider"]?["fallback"]?.stringValue == "timeout", "\(slow)")
                #expect(slow["grounded"] == .bool(true) && slow["answer"]?.stringValue?.isEmpty == false)
                let broken = try await chat.ask(
                    question: "How do refunds break?", sessionID: nil, identity: nil, logger: logger)
                #expect(broken["provider"]?["fallback"]?.stringValue == "error", "\(broken)")
                #expect(broken["provider"]?["used"] == .bool(false) && broken["grounded"] == .bool(true))
            }
        }
    }
}
