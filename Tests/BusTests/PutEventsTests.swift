import SmartPayBus
import SmartPayContracts
import SmartPayCore
import Testing

@Suite("PutEvents validation and answers")
struct PutEventsTests {
    static let now = try! Timestamp(rfc3339: "2026-11-22T10:15:30Z")

    @Test("accepted entries become EventBridge events; each refused one is answered with its code")
    func entries() throws {
        let entries: [PutEvents.Entry] = [
            .init(
                source: "smartpay.pay", detailType: "payment.processed",
                detail: #"{"payment_id": "pay_1", "amount_minor": 2000}"#, resources: ["arn:x"]),
            .init(source: nil, detailType: "x", detail: "{}"),
            .init(source: "aws.ec2", detailType: "x", detail: "{}"),
            .init(source: "smartpay.pay", detailType: "x", detail: "[1, 2]"),
            .init(source: "smartpay.pay", detailType: "x", detail: "{not json"),
            .init(source: "smartpay.pay", detailType: nil, detail: "{}"),
            .init(
                source: "smartpay.pay", detailType: "x",
                detail: #"{"pad": "\#(String(repeating: "x", count: 262_144))"}"#),
            .init(source: "smartpay.pay", detailType: "x", detail: "{}", time: "yesterday"),
            .init(source: "smartpay.pay", detailType: "settlement.due", detail: "{}", time: "2026-11-23T10:15:30Z"),
        ]
        var counter = 0
        let results = try PutEvents.accept(entries, now: Self.now) {
            counter += 1
            return "evt_\(counter)"
        }
        guard case .success(let event) = results[0] else { Issue.record("the first entry must be accepted"); return }
        #expect(event["id"] == .string("evt_1"))
        #expect(event["detail-type"] == .string("payment.processed"))
        #expect(event["time"] == .string("2026-11-22T10:15:30Z"))
        #expect(event["detail"]?["amount_minor"] == .number("2000"))
        #expect(event["resources"] == .array([.string("arn:x")]))
        let codes = results.dropFirst().map { result -> String in
            if case .failure(let error) = result { return error.code }
            return "accepted"
        }
        #expect(
            codes == [
                "InvalidArgument", "NotAuthorizedForSourceException", "MalformedDetail", "MalformedDetail",
                "InvalidArgument", "InvalidArgument", "InvalidArgument", "accepted",
            ])
        if case .success(let delayed) = results[8] { #expect(delayed["time"] == .string("2026-11-23T10:15:30Z")) }

        let response = PutEvents.response(results)
        #expect(response["FailedEntryCount"] == .number("7"))
        if case .array(let answered)? = response["Entries"] {
            #expect(answered.count == 9)
            #expect(answered[0] == .object(["EventId": .string("evt_1")]))
            #expect(answered[1]["ErrorMessage"]?.stringValue?.contains("Source is a required argument") == true)
        } else {
            Issue.record("Entries must be an array")
        }
    }

    @Test("a call with no entries or more than ten is refused whole")
    func limits() {
        #expect(throws: PutEvents.ValidationError.self) { try PutEvents.accept([]) }
        let eleven = Array(repeating: PutEvents.Entry(source: "s", detailType: "d", detail: "{}"), count: 11)
        #expect(throws: PutEvents.ValidationError.self) { try PutEvents.accept(eleven) }
    }

    @Test("entries decode from AWS's JSON field names")
    func decoding() throws {
        let value = try JSONParser().parse(
            #"{"Source": "smartpay.pay", "DetailType": "t", "Detail": "{}", "Resources": ["r"], "EventBusName": "default"}"#
        )
        let entry = try JSONValueDecoder(keyStrategy: .useDefaultKeys).decode(PutEvents.Entry.self, from: value)
        #expect(entry.source == "smartpay.pay" && entry.detailType == "t" && entry.eventBusName == "default")
        #expect(entry.size == "smartpay.pay".utf8.count + 1 + 2 + 1)
    }
}
