import Foundation
import SmartPayCore
import SmartPayHTTP
import TestSupport
import Testing

@Suite("the chat function under smartpay serve: POST /chat, offline")
struct ChatServeTests {
    func ask(_ platform: ServedPlatform, _ body: String, token: String?) async throws -> (Int, JSONValue) {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let response = try await platform.http.execute(
            HTTPClientRequest(
                method: "POST", url: platform.api + "/chat", headers: headers, body: Array(body.utf8),
                timeout: .seconds(30)))
        return (response.status, (try? JSONParser().parse(response.body)) ?? .null)
    }

    @Test("general answers with citations; a payment made through POST /pay explained to its customer only")
    func chat() async throws {
        let platform = try await ServedPlatform(template: "../../infra/template.yaml")
        let merchant = try await platform.token(["--sub", "m_42", "--role", "merchant", "--scopes", "payments:write"])
        let customer = try await platform.token(["--sub", "c_7", "--role", "customer"])
        let stranger = try await platform.token(["--sub", "c_99", "--role", "customer"])
        let card = try String(
            contentsOf: Executables.repositoryRoot.appendingPathComponent("events/pay/card.json"), encoding: .utf8)
        let paid = try await platform.http.execute(
            HTTPClientRequest(
                method: "POST", url: platform.api + "/pay",
                headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(merchant)")],
                body: Array(card.utf8), timeout: .seconds(30)))
        #expect(paid.status == 201, "\(paid.bodyText)")
        let id = try #require(try JSONParser().parse(paid.body)["id"]?.stringValue)

        let (status, general) = try await ask(platform, #"{"question": "How do I refund a payment?"}"#, token: customer)
        #expect(status == 200, "\(general)")
        #expect(general["grounded"] == .bool(true) && general["provider"] == .null)
        #expect(general["citations"]?.arrayValue?.first?["heading"]?.stringValue == "Refunding a payment", "\(general)")
        let session = try #require(general["session_id"]?.stringValue)

        let (_, own) = try await ask(
            platform, #"{"question": "Where is my payment \#(id)?", "session_id": "\#(session)"}"#, token: customer)
        #expect(own["answer"]?.stringValue?.contains("\(id) of 25.99 USD") == true, "\(own)")
        #expect(own["answer"]?.stringValue?.contains("is succeeded") == true)
        #expect(own["session_id"]?.stringValue == session)
        let (_, theirs) = try await ask(platform, #"{"question": "Where is my payment \#(id)?"}"#, token: stranger)
        #expect(theirs["answer"]?.stringValue == "I cannot find a payment \(id) among yours.", "\(theirs)")

        let (empty, error) = try await ask(platform, #"{"question": ""}"#, token: customer)
        #expect(empty == 422 && error["error"]?["field"]?.stringValue == "question", "\(error)")
        let (followUp, _) = try await ask(platform, #"{"question": "and the other one?"}"#, token: customer)
        #expect(followUp == 422)
        let (anonymous, _) = try await ask(platform, #"{"question": "fees?"}"#, token: nil)
        #expect(anonymous == 401)
        #expect(try await platform.stop() == 0)
    }
}
