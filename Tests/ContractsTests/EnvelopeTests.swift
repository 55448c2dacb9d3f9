import SmartPayContracts
import SmartPayCore
import Testing

@Suite("EventBridge envelope")
struct EnvelopeTests {
    @Test("bus events use EventBridge's envelope")
    func busEvent() throws {
        struct Detail: Codable, Sendable { let paymentId: String }
        let event = EventEnvelope(
            detailType: "payment.processed", source: "smartpay.pay", time: Timestamp(millisecondsSinceEpoch: 0),
            detail: Detail(paymentId: "pay_1"))
        #expect(event.version == "0")
        #expect(event.time == "1970-01-01T00:00:00Z")
        #expect(event.id.hasPrefix("evt_"))
        #expect(event.account == LocalAWS.account && event.region == LocalAWS.region)
        let decoded = try JSONValueDecoder(keyStrategy: .useDefaultKeys).decode(
            EventEnvelope<JSONValue>.self,
            from: Array(
                #"{"version":"0","id":"e1","detail-type":"x.y","source":"s","account":"1","time":"t","region":"r","resources":[],"detail":{"a":1}}"#
                    .utf8))
        #expect(decoded.detailType == "x.y")
        #expect(decoded.detail["a"] == .number("1"))
        #expect(decoded.header.detailType == "x.y" && decoded.header.account == "1")
    }
}
