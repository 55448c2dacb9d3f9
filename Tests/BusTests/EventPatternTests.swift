import SmartPayBus
import SmartPayCore
import Testing

/// Cases from Amazon EventBridge's documentation of event patterns (content filtering), plus edge cases.
@Suite("EventBridge event patterns")
struct EventPatternTests {
    static let event = #"""
        {
          "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": "EC2 Instance State-change Notification",
          "source": "aws.ec2", "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
          "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
          "detail": {
            "instance-id": "i-1234567890abcdef0", "state": "terminated", "c-count": 5, "d-count": 3,
            "x-limit": 301.8, "source-ip": "10.0.0.123", "location": "Portland", "filename": "dir/reports/2024.png",
            "tags": ["blue", "prod"], "empty": "", "nothing": null,
            "payment": {"amount_minor": 2000, "currency": "USD", "merchant_id": "m_42"}
          }
        }
        """#

    static func check(_ pattern: String, _ expected: Bool, event: String = EventPatternTests.event) throws {
        let compiled = try EventPattern(text: pattern)
        let value = try JSONParser().parse(event)
        #expect(compiled.matches(value) == expected, "\(pattern)")
    }

    @Test(
        "matching cases",
        arguments: [
            (#"{"source": ["aws.ec2"]}"#, true),
            (#"{"source": ["aws.s3", "aws.ec2"]}"#, true),
            (#"{"source": ["aws.s3"]}"#, false),
            (#"{"detail": {"state": ["terminated"]}}"#, true),
            (#"{"detail": {"state": ["running"]}}"#, false),
            (#"{"detail": {"c-count": [5]}}"#, true),
            (#"{"detail": {"c-count": [5.0]}}"#, true),
            (#"{"detail": {"c-count": ["5"]}}"#, false),
            (#"{"detail": {"tags": ["prod"]}}"#, true),
            (#"{"detail": {"tags": ["dev"]}}"#, false),
            (#"{"detail": {"nothing": [null]}}"#, true),
            (#"{"detail": {"empty": [""]}}"#, true),
            (#"{"detail": {"empty": [null]}}"#, false),
            (#"{"detail": {"state": [{"prefix": "term"}]}}"#, true),
            (#"{"detail": {"state": [{"prefix": "run"}]}}"#, false),
            (#"{"detail": {"state": [{"prefix": {"equals-ignore-case": "TERM"}}]}}"#, true),
            (#"{"detail": {"filename": [{"suffix": ".png"}]}}"#, true),
            (#"{"detail": {"filename": [{"suffix": {"equals-ignore-case": ".PNG"}}]}}"#, true),
            (#"{"detail": {"location": [{"equals-ignore-case": "portland"}]}}"#, true),
            (#"{"detail": {"state": [{"anything-but": "running"}]}}"#, true),
            (#"{"detail": {"state": [{"anything-but": ["running", "terminated"]}]}}"#, false),
            (#"{"detail": {"c-count": [{"anything-but": [1, 2, 5]}]}}"#, false),
            (#"{"detail": {"state": [{"anything-but": {"prefix": "term"}}]}}"#, false),
            (#"{"detail": {"state": [{"anything-but": {"suffix": "ed"}}]}}"#, false),
            (#"{"detail": {"location": [{"anything-but": {"equals-ignore-case": ["PORTLAND", "Seattle"]}}]}}"#, false),
            (#"{"detail": {"filename": [{"anything-but": {"wildcard": "*/reports/*"}}]}}"#, false),
            (#"{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}"#, true),
            (#"{"detail": {"c-count": [{"numeric": [">", 5]}]}}"#, false),
            (#"{"detail": {"x-limit": [{"numeric": ["=", 301.8]}]}}"#, true),
            (
                #"{"detail": {"d-count": [{"numeric": ["<", 10]}], "x-limit": [{"numeric": [">=", 300, "<", 302]}]}}"#,
                true
            ),
            (#"{"detail": {"state": [{"numeric": [">", 0]}]}}"#, false),
            (#"{"detail": {"c-count": [{"exists": true}]}}"#, true),
            (#"{"detail": {"missing": [{"exists": false}]}}"#, true),
            (#"{"detail": {"missing": [{"exists": true}]}}"#, false),
            (#"{"detail": {"c-count": [{"exists": false}]}}"#, false),
            (#"{"detail": {"payment": [{"exists": true}]}}"#, false),
            (#"{"detail": {"payment": [{"exists": false}]}}"#, true),
            (#"{"detail": {"payment": [{"anything-but": "x"}]}}"#, false),
            (#"{"detail": {"tags": [{"exists": true}]}}"#, true),
            (#"{"detail": {"tags": [{"exists": false}]}}"#, false),
            (#"{"detail": {"nothing": [{"exists": true}]}}"#, true),
            (#"{"detail": {"missing": ["x"]}}"#, false),
            (#"{"detail": {"missing": [{"anything-but": "x"}]}}"#, false),
            (#"{"detail": {"filename": [{"wildcard": "dir/*/*.png"}]}}"#, true),
            (#"{"detail": {"filename": [{"wildcard": "*.jpg"}]}}"#, false),
            (#"{"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}"#, true),
            (#"{"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}"#, false),
            (#"{"detail": {"payment": {"currency": ["USD"], "amount_minor": [{"numeric": [">=", 1000]}]}}}"#, true),
            (#"{"detail": {"payment": {"merchant_id": [{"prefix": "m_"}], "currency": ["EUR"]}}}"#, false),
            (
                #"{"source": ["aws.ec2"], "$or": [{"detail": {"c-count": [{"numeric": [">", 10]}]}}, {"detail": {"d-count": [3]}}]}"#,
                true
            ),
            (#"{"$or": [{"source": ["aws.s3"]}, {"detail-type": ["nope"]}]}"#, false),
            (#"{"detail": {"$or": [{"state": ["running"]}, {"location": ["Portland"]}]}}"#, true),
            (#"{"resources": [{"prefix": "arn:aws:ec2:us-west-1"}]}"#, true),
            (#"{"detail": {"tags": [{"anything-but": "prod"}]}}"#, true),
        ])
    func matching(pattern: String, expected: Bool) throws {
        try Self.check(pattern, expected)
    }

    @Test("a payment event matches the rule that routes it to the reward function")
    func paymentRule() throws {
        let rule =
            #"{"source": ["smartpay.pay"], "detail-type": ["payment.processed"], "detail": {"status": ["succeeded"]}}"#
        try Self.check(
            rule, true,
            event: #"{"source": "smartpay.pay", "detail-type": "payment.processed", "detail": {"status": "succeeded"}}"#
        )
        try Self.check(
            rule, false,
            event: #"{"source": "smartpay.pay", "detail-type": "payment.processed", "detail": {"status": "failed"}}"#)
    }

    @Test(
        "invalid patterns are refused with the path and the reason",
        arguments: [
            (#"["source"]"#, "invalid event pattern: an event pattern must be a JSON object"),
            (#"{"source": "aws.ec2"}"#, "invalid event pattern at source: expected an array of values or conditions"),
            (#"{"source": []}"#, "invalid event pattern at source: an empty array matches nothing"),
            (
                #"{"detail": {"n": [{"numeric": [">", "x"]}]}}"#,
                "invalid event pattern at detail.n[0].numeric: expected a number after >"
            ),
            (
                #"{"detail": {"n": [{"numeric": ["<", 5, ">", 1]}]}}"#,
                "invalid event pattern at detail.n[0].numeric: a range is a lower bound"
            ),
            (
                #"{"detail": {"n": [{"exists": "yes"}]}}"#,
                "invalid event pattern at detail.n[0].exists: expected true or false"
            ),
            (
                #"{"detail": {"n": [{"regex": "a.*"}]}}"#,
                "invalid event pattern at detail.n[0]: unknown operator \"regex\""
            ),
            (
                #"{"detail": {"ip": [{"cidr": "10.0.0.0/33"}]}}"#,
                "invalid event pattern at detail.ip[0].cidr: expected a CIDR block"
            ),
            (
                #"{"detail": {"f": [{"wildcard": "a**b"}]}}"#,
                "invalid event pattern at detail.f[0].wildcard: consecutive wildcard characters"
            ),
            (
                #"{"$or": [{"source": ["a"]}]}"#,
                "invalid event pattern at $or: $or takes an array of at least two patterns"
            ),
        ])
    func invalid(pattern: String, message: String) {
        #expect {
            try EventPattern(text: pattern)
        } throws: { error in
            (error as? EventPatternError)?.description.hasPrefix(message) == true
        }
    }

    @Test("exists looks at leaf values: an object, an empty array or an array of objects is none")
    func existsOnLeaves() throws {
        let event = #"""
            {"detail": {"none": [], "items": [{"sku": "a"}], "nested": [["a"], []], "mixed": [{"sku": "a"}, "b"],
                        "c-count": {"c1": 100}}}
            """#
        for (field, present) in [
            ("none", false), ("items", false), ("nested", true), ("mixed", true), ("c-count", false),
        ] {
            try Self.check(#"{"detail": {"\#(field)": [{"exists": true}]}}"#, present, event: event)
            try Self.check(#"{"detail": {"\#(field)": [{"exists": false}]}}"#, !present, event: event)
        }
        try Self.check(#"{"detail": {"items": {"sku": [{"exists": true}]}}}"#, true, event: event)
        try Self.check(#"{"detail": {"c-count": {"c1": [{"exists": true}]}}}"#, true, event: event)
        try Self.check(#"{"detail": {"nested": ["a"]}}"#, true, event: event)
        try Self.check(#"{"detail": {"mixed": [{"anything-but": "a"}]}}"#, true, event: event)
    }

    @Test("IPv6 CIDR blocks")
    func ipv6() throws {
        try Self.check(#"{"ip": [{"cidr": "2001:db8::/32"}]}"#, true, event: #"{"ip": "2001:db8:0:0:1::7"}"#)
        try Self.check(#"{"ip": [{"cidr": "2001:db8::/32"}]}"#, false, event: #"{"ip": "2001:db9::1"}"#)
        try Self.check(#"{"ip": [{"cidr": "2001:db8::/32"}]}"#, false, event: #"{"ip": "10.0.0.1"}"#)
    }
}
