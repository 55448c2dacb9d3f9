import Foundation
import SmartPayCore
import SmartPayInvoke
import TestSupport
import Testing

@Suite("Invoking sibling functions", .serialized)
struct InvokerTests {
    /// botocore's own SigV4 signer (shipped with the AWS CLI in .venv) signs the same request: an independent check.
    static let botocore = """
        import json, sys
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        spec = json.load(sys.stdin)
        request = AWSRequest(method=spec["method"], url=spec["url"], data=spec["body"].encode(), headers=spec["headers"])
        request.context["timestamp"] = spec["amz_date"]
        request.headers["X-Amz-Date"] = spec["amz_date"]
        if spec.get("token"):
            request.headers["X-Amz-Security-Token"] = spec["token"]
        auth = SigV4Auth(Credentials(spec["key"], spec["secret"], spec.get("token")), "lambda", spec["region"])
        canonical = auth.canonical_request(request)
        print(auth.signature(auth.string_to_sign(request, canonical), request))
        """

    @Test(
        "SigV4 signatures match botocore's for the Invoke API",
        arguments: [
            ("split", "{\"amount\": 1}", nil as String?),
            ("arn:aws:lambda:eu-west-1:123456789012:function:pay", "{}", "FwoGZXIvYXdzEBYaDH"),
            ("route", String(repeating: "é", count: 300), nil),
        ])
    func sigV4MatchesBotocore(function: String, body: String, token: String?) async throws {
        let python = Executables.repositoryRoot.appendingPathComponent(".venv/bin/python")
        try #require(
            FileManager.default.isExecutableFile(atPath: python.path), "run make setup (.venv with the AWS CLI)")
        let credentials = AWSCredentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: token
        )
        let date = try Timestamp(rfc3339: "2026-11-22T10:15:30Z")
        let path =
            "/2015-03-31/functions/\(function.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~")))!)/invocations"
        let headers = [
            ("Host", "lambda.eu-west-1.amazonaws.com"), ("Content-Type", "application/json"),
            ("X-Amz-Invocation-Type", "RequestResponse"),
        ]
        let added = SigV4.sign(
            method: "POST", path: path, headers: headers, body: Array(body.utf8), credentials: credentials,
            region: "eu-west-1",
            service: "lambda", date: date)
        let authorization = try #require(added.first { $0.0 == "Authorization" }?.1)
        let ours = try #require(authorization.split(separator: "=").last.map(String.init))
        #expect(
            authorization.hasPrefix(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/eu-west-1/lambda/aws4_request, SignedHeaders="))

        var spec: [String: Any] = [
            "method": "POST", "url": "https://lambda.eu-west-1.amazonaws.com\(path)", "body": body,
            "headers": Dictionary(uniqueKeysWithValues: headers.filter { $0.0 != "Host" }),
            "amz_date": "20261122T101530Z",
            "key": credentials.accessKeyID, "secret": credentials.secretAccessKey, "region": "eu-west-1",
        ]
        if let token { spec["token"] = token }
        let result = try await ProcessRunner.run(
            python, arguments: ["-c", Self.botocore], stdin: try JSONSerialization.data(withJSONObject: spec))
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == ours)
    }

    @Test("the invoker calls a function through smartpay serve, signed or not, and reports errors as AWS names them")
    func invokeThroughServe() async throws {
        let platform = try await ServedPlatform()
        for credentials in [[:], ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"]] {
            let invoker = LambdaInvoker(
                environment: ["AWS_ENDPOINT_URL_LAMBDA": platform.aws].merging(credentials) { $1 })
            #expect((invoker.credentials != nil) == !credentials.isEmpty)
            let ok = try await invoker.invoke(
                "split", payload: Array(#"{"amount": 7, "currency": "JPY", "parts_bps": [5000, 5000]}"#.utf8))
            #expect(ok.status == 200)
            #expect(ok.functionError == nil)
            #expect(String(decoding: ok.payload, as: UTF8.self).contains(#""parts":[4,3]"#))
            let failed = try await invoker.invoke(
                "split", payload: Array(#"{"amount": 7.5, "currency": "JPY", "parts_bps": [10000]}"#.utf8))
            #expect(failed.functionError == "Unhandled")
            #expect(String(decoding: failed.payload, as: UTF8.self).contains("InvalidRequest"))
            let event = try await invoker.invoke("split", payload: Array("{}".utf8), type: .event)
            #expect(event.status == 202)
            let missing = await #expect(throws: LambdaInvoker.InvokeError.self) {
                try await invoker.invoke("nope", payload: [])
            }
            #expect(missing?.type == "ResourceNotFoundException")
            #expect(missing?.status == 404)
        }
        #expect(try await platform.stop() == 0)
    }
}
