import Crypto
import Foundation
import FunctionKit
import Logging
import SmartPayCore
import SmartPayRedis

/// The support assistant: general questions answered from the documentation (BM25 over its sections, the answer made
/// of the best section's most relevant sentences, cited), questions about the caller's own payments answered from the
/// payment record, sessions for follow-ups, a cache for general answers, an optional language model.
public struct ChatService: Sendable {
    public let knowledge: KnowledgeBase
    public let payments: any PaymentLookup
    public let store: ChatStore
    public let model: (any LanguageModel)?
    /// Most characters in a question (`ChatQuestion.maximumLength`).
    public static let maximumQuestion = ChatQuestion.maximumLength
    /// Below this BM25 score the best section is not an answer.
    static let relevance = 2.0

    public init(
        knowledge: KnowledgeBase, payments: any PaymentLookup, store: ChatStore, model: (any LanguageModel)? = nil
    ) {
        self.knowledge = knowledge
        self.payments = payments
        self.store = store
        self.model = model
    }

    /// The answer document: `answer`, `citations` (`path`, `heading`), `session_id`, `grounded`, `provider`, `cached`.
    /// - Throws: `FunctionError.validation` naming `question` or `session_id` when `ChatQuestion`'s rules refuse them,
    ///   `notFound` for another caller's or an expired session, `unavailable` when the store is.
    public func ask(question: String?, sessionID: String?, identity: Identity?, logger: Logger) async throws
        -> JSONValue
    {
        let asked = ChatQuestion(question: question, sessionID: sessionID)
        try asked.validate()
        return try await answer(asked, identity: identity, logger: logger)
    }

    /// `ask` for a question already checked by `ChatQuestion.validate` (the harness checks a routed body).
    func answer(_ asked: ChatQuestion, identity: Identity?, logger: Logger) async throws -> JSONValue {
        let question = asked.text
        let sessionID = asked.sessionID
        let redacted = Redaction.redact(question)
        logger.info("chat question", metadata: ["question": .string(String(redacted.prefix(200)))])

        let owner = identity.map { "\($0.kind == .apiKey ? "key" : "sub"):\($0.subject)" } ?? "platform"
        var session: ChatSession
        if let sessionID {
            guard let found = try await store.session(sessionID), found.owner == owner else {
                throw FunctionError.notFound("session_id: no such conversation (conversations last 24 hours)")
            }
            session = found
        } else {
            session = ChatSession(id: Self.newSessionID(), owner: owner)
        }
        let words = Self.normalized(question)
        let mentioned = Self.paymentIDs(in: question)
        let followUp = mentioned.isEmpty && Self.isFollowUp(words)
        if followUp && sessionID == nil {
            throw FunctionError.validation(
                "session_id",
                "\"\(redacted.prefix(60))\" follows up on an earlier question: send the session_id of that answer")
        }

        var targets = mentioned
        if targets.isEmpty && followUp, let referent = Self.referent(words, in: session.payments) {
            targets = [referent]
        }
        let personal = !targets.isEmpty || Self.asksAboutOwnPayment(words)
        var document: JSONValue
        if personal {
            document = try await personalAnswer(
                question: question, targets: targets, identity: identity, session: &session)
        } else {
            let query = followUp ? (session.turns.last?.question ?? "") + " " + question : question
            document = try await generalAnswer(
                question: question, query: query, cacheable: !followUp, session: session, logger: logger)
        }
        document = document.setting("session_id", .string(session.id))
        session.turns.append(
            ChatSession.Turn(question: redacted, answer: Redaction.redact(document["answer"]?.stringValue ?? "")))
        try await store.save(session)
        return document
    }

    // MARK: - general questions

    private func generalAnswer(
        question: String, query: String, cacheable: Bool, session: ChatSession, logger: Logger
    ) async throws -> JSONValue {
        let digest = Self.digest(Self.normalized(question).joined(separator: " ") + "|" + (model?.model ?? "offline"))
        if cacheable, let cached = try await store.cachedAnswer(digest) {
            return cached.setting("cached", .bool(true))
        }
        var hits = knowledge.search(query, limit: 3)
        // A code the documentation defines ("requires_action", "insufficient_funds"): its definition is the answer.
        if let code = Self.normalized(question).first(where: { $0.contains("_") && !$0.hasPrefix("pay_") }),
            let defined = knowledge.definition(of: code)
        {
            let answer = Self.after(colonIn: defined.text)
            let cited = [defined.passage] + hits.map(\.passage).filter { $0 != defined.passage }.prefix(1)
            var document = Self.document(
                answer: "\(code): \(answer)", citations: Array(cited), grounded: true, provider: .null)
            if let model {
                document = await withModel(
                    model, grounded: document, passages: Array(cited), facts: [], question: question,
                    session: session, logger: logger)
            }
            if cacheable { try await store.cache(document, digest: digest) }
            return document.setting("cached", .bool(false))
        }
        hits = hits.filter { $0.score >= Self.relevance }
        guard let best = hits.first else {
            return Self.document(
                answer:
                    "I could not find that in SmartPay's documentation. Ask about payments, declines, refunds, rewards, fees and settlement, or a payment of yours by its id (pay_…).",
                citations: [], grounded: false, provider: .null)
        }
        let cited = hits.filter { $0.score >= best.score * 0.5 }.map(\.passage)
        let grounded = compose(query, from: best.passage)
        var document = Self.document(answer: grounded, citations: cited, grounded: true, provider: .null)
        if let model {
            document = await withModel(
                model, grounded: document, passages: cited, facts: [], question: question, session: session,
                logger: logger)
        }
        if cacheable { try await store.cache(document, digest: digest) }
        return document.setting("cached", .bool(false))
    }

    /// The best section's most relevant sentences or list items (by the question's terms), at most two, in the
    /// section's order; its opening sentences when none matches. Only the documentation's own words.
    func compose(_ question: String, from passage: Passage) -> String {
        let units = Self.units(of: passage.text)
        let asked = Set(Tokenizer.terms(question))
        let scored = units.enumerated().map { index, unit in
            (index, Set(Tokenizer.terms(unit)).intersection(asked).count)
        }
        var chosen = scored.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.prefix(2)
            .map(\.0).sorted()
        if chosen.isEmpty { chosen = Array(units.indices.prefix(2)) }
        // A lead-in that announces a list ("A payment is in exactly one status:") brings its whole list.
        if let lead = chosen.first(where: { units[$0].hasSuffix(":") }) {
            let list = units.indices.filter { $0 > lead && Self.isListItem(passage.text, units[$0]) }
            if !list.isEmpty { chosen = [lead] + list.prefix(8) }
        }
        return chosen.map { units[$0] }.joined(separator: " ")
    }

    static func isListItem(_ text: String, _ unit: String) -> Bool {
        text.replacingOccurrences(of: "`", with: "").contains("- " + unit.prefix(20))
    }

    /// Sentences of the paragraphs and whole list items, Markdown marks removed.
    static func units(of text: String) -> [String] {
        var units: [String] = []
        var paragraph = ""
        func flushParagraph() {
            var rest = Substring(paragraph)
            while let stop = rest.range(of: ". ") {
                units.append(String(rest[..<stop.lowerBound]) + ".")
                rest = rest[stop.upperBound...]
            }
            let last = rest.trimmingCharacters(in: .whitespaces)
            if !last.isEmpty { units.append(last) }
            paragraph = ""
        }
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("- ") {
                flushParagraph()
                units.append(String(trimmed.dropFirst(2)))
            } else if line.hasPrefix("  "), !units.isEmpty, paragraph.isEmpty {
                units[units.count - 1] += " " + trimmed
            } else {
                paragraph += (paragraph.isEmpty ? "" : " ") + trimmed
            }
        }
        flushParagraph()
        return units.map { $0.replacingOccurrences(of: "`", with: "") }.filter { !$0.isEmpty }
    }

    // MARK: - the caller's payments

    private func personalAnswer(
        question: String, targets: [String], identity: Identity?, session: inout ChatSession
    ) async throws -> JSONValue {
        var sentences: [String] = []
        var citations: [Passage] = []
        var facts: [String] = []
        var records: [(id: String, payment: JSONValue)] = []
        if targets.isEmpty {
            // "my last payment": the caller's latest.
            if let identity, identity.customerID != nil || identity.merchantID != nil,
                let latest = try await payments.latest(
                    customerID: identity.customerID, merchantID: identity.customerID == nil ? identity.merchantID : nil),
                let id = latest["id"]?.stringValue
            {
                records.append((id, latest))
            } else {
                sentences.append("I cannot find any payments of yours. Ask with the payment's id (pay_…).")
            }
        }
        for id in targets.prefix(3) {
            // One refusal for "no such payment" and "not yours": it reveals nothing, not even existence.
            guard let identity, let payment = try await payments.payment(id: id),
                identity.mayAccess(
                    customerID: payment["customer_id"]?.stringValue, merchantID: payment["merchant_id"]?.stringValue)
            else {
                sentences.append("I cannot find a payment \(id) among yours.")
                continue
            }
            records.append((id, payment))
        }
        let words = Set(Self.normalized(question))
        for (id, payment) in records {
            let (text, used) = describe(id: id, payment, merchantView: identity?.customerID == nil, asked: words)
            sentences.append(text)
            facts.append(text)
            citations += used
            session.payments.removeAll { $0 == id }
            session.payments.append(id)
        }
        var unique: [Passage] = []
        for passage in citations where !unique.contains(passage) { unique.append(passage) }
        return Self.document(
            answer: sentences.joined(separator: " "), citations: unique, grounded: true, provider: .null,
            payments: records.map(\.id)
        ).setting("cached", .bool(false))
    }

    /// What the record says, in plain words, and the sections that explain it.
    func describe(id: String, _ payment: JSONValue, merchantView: Bool, asked: Set<String>) -> (String, [Passage]) {
        var cited: [Passage] = []
        let status = payment["status"]?.stringValue ?? "unknown"
        let amount = Self.money(payment, "amount")?.description ?? ""
        let created = (payment["created"]?.stringValue).flatMap { try? Timestamp(rfc3339: $0) }
            .map { $0.format(fractional: false, separator: " ", zone: " UTC") }
        var text = "Payment \(id)" + (amount.isEmpty ? "" : " of \(amount)")
        if let created { text += ", created \(created)," }
        text += " is \(status.replacingOccurrences(of: "_", with: " "))"
        if let meaning = knowledge.definition(of: status, in: "payments.md") {
            text += ": " + Self.after(colonIn: meaning.text)
            cited.append(meaning.passage)
        } else {
            text += "."
        }
        if let code = payment["failure"]?["code"]?.stringValue {
            if let reason = knowledge.definition(of: code) {
                text += " Reason: " + Self.after(colonIn: reason.text)
                cited.append(reason.passage)
            } else {
                text += " Reason code: \(code)."
            }
        }
        if let refunded = Self.money(payment, "amount_refunded"), refunded.minorUnits != 0 {
            text += " \(refunded) has been refunded."
        }
        let asksAboutPayout = !asked.isDisjoint(with: ["paid", "payout", "settle", "settled", "settlement", "receive"])
        if asksAboutPayout || merchantView {
            if ["succeeded", "partially_refunded"].contains(status) {
                if merchantView, let net = Self.money(payment, "net") {
                    text += " The merchant's net is \(net)."
                }
                if asksAboutPayout,
                    let payout = knowledge.search("when the merchant is paid settlement", limit: 1).first
                {
                    text += " " + compose("merchant paid settled net", from: payout.passage)
                    cited.append(payout.passage)
                }
            } else if asksAboutPayout {
                text += " Nothing is paid out for a payment that is \(status.replacingOccurrences(of: "_", with: " "))."
            }
        }
        return (text, cited)
    }

    private static func after(colonIn definition: String) -> String {
        let text = definition.replacingOccurrences(of: "`", with: "")
        guard let colon = text.firstIndex(of: ":") else { return text }
        return text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }

    // MARK: - the language model

    private func withModel(
        _ model: any LanguageModel, grounded: JSONValue, passages: [Passage], facts: [String], question: String,
        session: ChatSession, logger: Logger
    ) async -> JSONValue {
        var system = """
            You are SmartPay's support assistant. Answer only from the sections and facts below; if they do not \
            answer the question, say so. Never invent amounts, dates or statuses. Be brief.

            """
        for passage in passages { system += "\n## \(passage.heading) (\(passage.path))\n\(passage.text)\n" }
        for fact in facts { system += "\nFact: \(fact)" }
        do {
            let answer = try await model.complete(
                system: Redaction.redact(system), history: session.turns, question: Redaction.redact(question))
            return grounded.setting("answer", .string(answer)).setting("grounded", .bool(false)).setting(
                "provider", .object(["model": .string(model.model), "used": .bool(true)]))
        } catch {
            logger.warning(
                "language model failed; answering from the documentation",
                metadata: ["model": .string(model.model), "error": .string(error.description)])
            return grounded.setting(
                "provider",
                .object([
                    "model": .string(model.model), "used": .bool(false),
                    "fallback": .string(error.isTimeout ? "timeout" : "error"), "error": .string(error.description),
                ]))
        }
    }

    // MARK: - helpers

    static func document(
        answer: String, citations: [Passage], grounded: Bool, provider: JSONValue, payments: [String] = []
    ) -> JSONValue {
        var fields: [String: JSONValue] = [
            "answer": .string(answer),
            "citations": .array(
                citations.map { .object(["path": .string($0.path), "heading": .string($0.heading)]) }),
            "grounded": .bool(grounded), "provider": provider,
        ]
        if !payments.isEmpty { fields["payments"] = .array(payments.map { .string($0) }) }
        return .object(fields)
    }

    /// Lower-case words without punctuation: the cache's key and the follow-up test read these.
    static func normalized(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init)
    }

    static func paymentIDs(in text: String) -> [String] {
        var ids: [String] = []
        for word in text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
        where word.hasPrefix("pay_") && word.count >= 8 && word.count <= 64 && !ids.contains(String(word)) {
            ids.append(String(word))
        }
        return ids
    }

    static func isFollowUp(_ words: [String]) -> Bool {
        let text = " " + words.joined(separator: " ") + " "
        return words.first == "and" || text.contains(" the other one ") || text.contains(" that one ")
            || text.contains(" what about it ") || text.contains(" the other ") || text.hasPrefix(" what about ")
    }

    /// "the other one" → the payment discussed before the last; otherwise the last (none before any).
    static func referent(_ words: [String], in discussed: [String]) -> String? {
        if words.contains("other"), discussed.count >= 2 { return discussed[discussed.count - 2] }
        return discussed.last
    }

    /// Whether the question names a payment of the caller's without its id: "my last payment", or "my payment" (order,
    /// charge) as a fact ("why was my payment declined?"). In a hypothetical — "why would my payment be declined?",
    /// "what happens if my payment fails?" — "my payment" is any payment, and the documentation answers it.
    static func asksAboutOwnPayment(_ words: [String]) -> Bool {
        for index in words.indices.dropLast() where words[index] == "my" {
            let next = words[index + 1]
            if ["last", "latest"].contains(next), words.dropFirst(index + 2).first == "payment" { return true }
            if ["payment", "order", "charge"].contains(next), index == 0 || !hypothetical.contains(words[index - 1]) {
                return true
            }
        }
        return false
    }

    /// Words that, just before "my payment", make it a supposition rather than a particular payment.
    static let hypothetical: Set<String> = ["would", "could", "might", "should", "can", "may", "if", "when", "unless"]

    static func isSessionID(_ id: String) -> Bool { (try? Identifier(id, prefix: "chs")) != nil }

    static func newSessionID() -> String { Identifier.random(prefix: "chs").rawValue }

    static func digest(_ text: String) -> String { Hex.encode(SHA256.hash(data: Array(text.utf8))) }

    /// A minor-units field of a payment record as money in the record's currency.
    static func money(_ payment: JSONValue, _ field: String) -> Money? {
        guard case .number(let text)? = payment[field], let minor = Int64(text),
            let code = payment["currency"]?.stringValue, let currency = try? Currency(code: code)
        else { return nil }
        return Money(minorUnits: minor, currency: currency)
    }
}

extension JSONValue {
    /// The object with one member set.
    func setting(_ name: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return self }
        members[name] = value
        return .object(members)
    }
}
