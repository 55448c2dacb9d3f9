import Foundation
import Logging
import SmartPayTemplate
import TestSupport
import Testing

@testable import SmartPayRuntime

/// What a function needs from the local runtime comes from its template entry, never from its name.
@Suite("settings and sandboxes a function declares in Metadata.SmartPay")
struct DeclaredSettingsTests {
    static let template = """
        Resources:
          PublishFunction:
            Type: AWS::Serverless::Function
            Metadata:
              SmartPay:
                Binary: split
                Endpoints: [apigatewaymanagementapi]
                LocalEnvironment: {WEBSOCKET_BATCH_POST: "on", MODE: local, ONLY_LOCAL: "1"}
            Properties:
              FunctionName: publish
              Environment: {Variables: {MODE: deployed, KEPT: "1"}}
          OtherFunction:
            Type: AWS::Serverless::Function
            Metadata: {SmartPay: {Binary: split, Sandboxes: [stripe, solana]}}
            Properties: {FunctionName: other}
        """

    @Test("Endpoints point at the AWS endpoint, LocalEnvironment is added (Environment wins), for that function only")
    func environment() throws {
        let platform = try Platform(
            template: try TemplateParser.parse(Self.template),
            binaryDirectory: try Executables.built("split").deletingLastPathComponent(),
            environment: ["REDIS_URL": "redis://127.0.0.1:1"], awsEndpoint: "http://127.0.0.1:4566",
            logger: Logger(label: "declared-settings-test"))
        let publish = try #require(platform.pools["publish"]).environment
        #expect(publish["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"] == "http://127.0.0.1:4566")
        #expect(publish["WEBSOCKET_BATCH_POST"] == "on")
        #expect(publish["ONLY_LOCAL"] == "1" && publish["KEPT"] == "1" && publish["REDIS_URL"] == "redis://127.0.0.1:1")
        #expect(publish["MODE"] == "deployed", "the template's Environment wins, as over the runtime's own settings")
        let other = try #require(platform.pools["other"]).environment
        #expect(other["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"] == nil && other["WEBSOCKET_BATCH_POST"] == nil)
    }

    @Test("the sandboxes started are those the functions declare; an unknown one is refused by name")
    func sandboxes() throws {
        #expect(try PaymentGatewaySandboxes.declared(by: TemplateParser.parse(Self.template)) == ["stripe", "solana"])
        let deployment = try TemplateParser.parse(
            String(
                contentsOf: Executables.repositoryRoot.appendingPathComponent("infra/template.yaml"), encoding: .utf8))
        #expect(try PaymentGatewaySandboxes.declared(by: deployment) == ["stripe", "amazon_pay", "solana"])
        let fixture = try TemplateParser.parse(
            String(
                contentsOf: Executables.repositoryRoot.appendingPathComponent("Tests/Fixtures/runtime-template.yaml"),
                encoding: .utf8))
        #expect(try PaymentGatewaySandboxes.declared(by: fixture).isEmpty)
        let unknown = Self.template.replacingOccurrences(of: "[stripe, solana]", with: "[stripe, paypal]")
        #expect {
            try PaymentGatewaySandboxes.declared(by: TemplateParser.parse(unknown))
        } throws: { error in
            "\(error)".contains("OtherFunction: Metadata.SmartPay.Sandboxes names no sandbox \"paypal\"")
                && "\(error)".contains("stripe, amazon_pay, solana")
        }
    }

    @Test("a sandbox no function declares does not start, whatever --sandboxes says")
    func undeclared() async {
        let sandboxes = await PaymentGatewaySandboxes.start(
            .init(enabled: true, wanted: []), environment: [:], logger: Logger(label: "declared-settings-test"))
        #expect(sandboxes.environment.isEmpty && sandboxes.endpoints.isEmpty)
        await sandboxes.stop()
    }
}
