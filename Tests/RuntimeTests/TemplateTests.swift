import Foundation
import SmartPayCore
import SmartPayTemplate
import TestSupport
import Testing

@Suite("The deployment template")
struct TemplateTests {
    @Test("infra/template.yaml declares the functions, routes and settings the runtime uses, intrinsics resolved")
    func deploymentTemplate() throws {
        let text = try String(
            contentsOf: Executables.repositoryRoot.appendingPathComponent("infra/template.yaml"), encoding: .utf8)
        let template = try TemplateParser.parse(text)
        let split = try #require(template.functions["split"])
        #expect(split.logicalID == "SplitFunction")
        #expect(split.binary == "split")
        #expect(split.timeoutSeconds == 10)
        #expect(split.memoryMB == 128)
        #expect(split.reservedConcurrency == 20)
        #expect(split.environment["SMARTPAY_STAGE"] == "local")
        #expect(split.environment["FUNCTION_ARN_SELF"] == "arn:aws:lambda:us-east-1:000000000000:function:split")
        #expect(
            template.httpRoutes.map(\.routeKey) == [
                "GET /balance", "POST /chat", "POST /fraud", "POST /fraud/reports", "POST /merchant/split", "POST /pay",
                "GET /payments",
                "GET /payments/{id}", "POST /payments/{id}/cancel", "POST /payments/{id}/refund",
                "GET /rewards/{customer}",
                "POST /route",
                "POST /split", "POST /split/{currency}",
            ])
        let pay = try #require(template.functions["pay"])
        #expect(pay.binary == "pay" && pay.timeoutSeconds == 15)
        #expect(
            template.httpRoutes.first { $0.routeKey == "POST /payments/{id}/refund" }?.authorization
                == RouteAuthorization(authorizer: "SmartPayJwt", scopes: ["payments:refund"]))
        let fraud = try #require(template.functions["fraud"])
        #expect(fraud.binary == "fraud" && fraud.timeoutSeconds == 5)
        #expect(
            template.httpRoutes.first { $0.path == "/fraud" }?.authorization
                == RouteAuthorization(authorizer: "SmartPayJwt", scopes: ["fraud:score"]))
        let fraudRules = template.rules.values.filter { $0.targets.contains { $0.function == "fraud" } }
        #expect(fraudRules.count == 2)
        #expect(fraudRules.allSatisfy { $0.targets.first?.deadLetterQueue == "fraud-dlq" })
        let jwt = try #require(template.authorizers["SmartPayJwt"])
        #expect(
            jwt.issuer == "https://auth.smartpay.local" && jwt.audiences == ["smartpay"]
                && jwt.header == "authorization")
        let protected = template.httpRoutes.first { $0.path == "/merchant/split" }?.authorization
        #expect(protected == RouteAuthorization(authorizer: "SmartPayJwt", scopes: ["payments:write"]))
        #expect(template.httpRoutes.first { $0.path == "/split" }?.authorization == nil)
        // What a function needs from the local runtime is declared, never inferred from its name.
        #expect(pay.sandboxes == ["stripe", "amazon_pay", "solana"])
        #expect(pay.uses == ["redis"] && pay.awsEndpoints == ["lambda"] && split.uses.isEmpty)
        let publish = try #require(template.functions["websocket-publish"])
        #expect(publish.awsEndpoints == ["apigatewaymanagementapi"])
        #expect(publish.localEnvironment == ["WEBSOCKET_BATCH_POST": "on"])
        #expect(split.sandboxes.isEmpty && split.awsEndpoints.isEmpty && split.localEnvironment.isEmpty)
    }

    static let api = """
        Resources:
          Api:
            Type: AWS::Serverless::HttpApi
            Properties:
              Auth:
                Authorizers:
                  Jwt: {JwtConfiguration: {issuer: "https://issuer.example", audience: [app]}}
                  Custom: {FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:auth"}
          PayFunction:
            Type: AWS::Serverless::Function
            Metadata: {SmartPay: {Binary: pay}}
            Properties:
              Events:
                Pay:
                  Type: HttpApi
                  Properties:
        """

    @Test("the WebSocket API as AWS declares it: routes, their integration, route responses, stage, authorizer")
    func webSocketAPI() throws {
        let text = try String(
            contentsOf: Executables.repositoryRoot.appendingPathComponent("infra/template.yaml"), encoding: .utf8)
        let api = try #require(try TemplateParser.parse(text).webSocketAPI)
        #expect(api.logicalID == "WebSocketApi" && api.name == "smartpay-websocket")
        #expect(api.selectionField == "action" && api.stage == "local" && api.connectAuthorizer == "SmartPayJwt")
        #expect(
            api.routes.keys.sorted() == ["$connect", "$default", "$disconnect", "ping", "subscribe", "unsubscribe"])
        #expect(api.routes.values.allSatisfy { $0.function == "websocket-publish" })
        #expect(
            api.routes.values.filter(\.answers).map(\.routeKey).sorted() == [
                "$default", "ping", "subscribe", "unsubscribe",
            ])

        let wrong = text.replacingOccurrences(
            of: "RouteSelectionExpression: $request.body.action",
            with: "RouteSelectionExpression: ${request.body.action}")
        #expect(throws: TemplateError.self) { try TemplateParser.parse(wrong) }
        let dangling = text.replacingOccurrences(
            of: "Target: !Sub \"integrations/${WebSocketIntegration}\"\n\n  WebSocketDisconnectRoute",
            with: "Target: integrations/Nope\n\n  WebSocketDisconnectRoute")
        #expect(dangling != text)
        do {
            _ = try TemplateParser.parse(dangling)
            Issue.record("a route whose Target names no integration was accepted")
        } catch {
            #expect(error.logicalID == "WebSocketConnectRoute" && error.message.contains("integrations/Nope"))
        }
    }

    @Test("authorizer mistakes are refused with the resource and what is wrong")
    func authorizerErrors() {
        expectTemplateError(
            Self.api + "\n            ApiId: !Ref Api\n            Path: /pay\n",
            startingWith:
                "template: Api: Auth.Authorizers.Custom: only JWT authorizers (JwtConfiguration) are supported")
        let jwtOnly = Self.api.replacingOccurrences(
            of: "          Custom: {FunctionArn: \"arn:aws:lambda:us-east-1:000000000000:function:auth\"}\n", with: "")
        expectTemplateError(
            jwtOnly + "\n            ApiId: !Ref Api\n            Path: /pay\n            Auth: {Authorizer: Nope}\n",
            startingWith: "template: PayFunction: event Pay: Auth.Authorizer Nope is not an authorizer of HttpApi Api")
        expectTemplateError(
            jwtOnly + "\n            Path: /pay\n            Auth: {AuthorizationScopes: [a]}\n",
            startingWith: "template: PayFunction: event Pay: AuthorizationScopes need an Authorizer")
    }

    @Test("routes match methods and path parameters, greedy ones too")
    func routes() {
        let route = HTTPRoute(method: "GET", path: "/payments/{id}", function: "pay")
        #expect(route.match(method: "GET", path: "/payments/pay_1") == ["id": "pay_1"])
        #expect(route.match(method: "POST", path: "/payments/pay_1") == nil)
        #expect(route.match(method: "GET", path: "/payments") == nil)
        #expect(route.match(method: "GET", path: "/payments/pay_1/refund") == nil)
        let greedy = HTTPRoute(method: "ANY", path: "/files/{proxy+}", function: "f")
        #expect(greedy.match(method: "DELETE", path: "/files/a/b/c") == ["proxy": "a/b/c"])
    }

    static let base = """
        Resources:
          PayFunction:
            Type: AWS::Serverless::Function
            Metadata: {SmartPay: {Binary: pay}}
            Properties:
        """

    @Test(
        "a malformed template is refused with the resource and what is wrong",
        arguments: [
            (
                "Resources:\n  PayFunction:\n    Type: AWS::Serverless::Function\n    Properties: {}\n",
                "template: PayFunction: Metadata.SmartPay.Binary must name the function's executable"
            ),
            (
                base + "\n      Timeout: abc\n",
                "template: PayFunction: Timeout must be an integer from 1 to 900, got \"abc\""
            ),
            (
                base + "\n      Timeout: 901\n",
                "template: PayFunction: Timeout must be an integer from 1 to 900, got \"901\""
            ),
            (
                base + "\n      FunctionName: !Ref Missing\n",
                "template: PayFunction: !Ref Missing: no such parameter or resource"
            ),
            (
                base + "\n      Events:\n        A: {Type: HttpApi, Properties: {Method: FETCH, Path: /pay}}\n",
                "template: PayFunction: event A: Method \"FETCH\" is not an HTTP method"
            ),
            (
                base + "\n      Events:\n        A: {Type: HttpApi, Properties: {Method: POST, Path: pay}}\n",
                "template: PayFunction: event A: Path must start with /"
            ),
            (
                "Resources:\n  PayFunction:\n    Type: AWS::Serverless::Function\n"
                    + "    Metadata: {SmartPay: {Binary: pay, Sandboxes: stripe}}\n",
                "template: PayFunction: Metadata.SmartPay.Sandboxes must be a list"
            ),
            (
                "Resources:\n  PayFunction:\n    Type: AWS::Serverless::Function\n"
                    + "    Metadata: {SmartPay: {Binary: pay, Endpoints: [\"lambda api\"]}}\n",
                "template: PayFunction: Metadata.SmartPay.Endpoints must list plain names, got \"lambda api\""
            ),
            (
                "Resources:\n  PayFunction:\n    Type: AWS::Serverless::Function\n"
                    + "    Metadata: {SmartPay: {Binary: pay, LocalEnvironment: [A]}}\n",
                "template: PayFunction: Metadata.SmartPay.LocalEnvironment must be a mapping"
            ),
            (
                "Resources:\n  PayFunction:\n    Type: AWS::Serverless::Function\n"
                    + "    Metadata: {SmartPay: {Binary: pay, Uses: [redis, postgres]}}\n",
                "template: PayFunction: Metadata.SmartPay.Uses names no local service \"postgres\" (there is: redis)"
            ),
            ("Resources: [1, 2", "template: not valid YAML"),
            ("Description: nothing\n", "template: no Resources section"),
        ])
    func malformed(text: String, expected: String) {
        #expect {
            try TemplateParser.parse(text)
        } throws: { error in
            (error as? TemplateError)?.description.hasPrefix(expected) == true
        }
    }

    @Test("two functions may not claim one route or one name")
    func clashes() {
        let text = """
            Resources:
              A:
                Type: AWS::Serverless::Function
                Metadata: {SmartPay: {Binary: a}}
                Properties: {Events: {E: {Type: HttpApi, Properties: {Method: POST, Path: /x}}}}
              B:
                Type: AWS::Serverless::Function
                Metadata: {SmartPay: {Binary: b}}
                Properties: {Events: {E: {Type: HttpApi, Properties: {Method: POST, Path: /x}}}}
            """
        #expect(throws: TemplateError.self) { try TemplateParser.parse(text) }
        let names = """
            Resources:
              A: {Type: AWS::Serverless::Function, Metadata: {SmartPay: {Binary: a}}, Properties: {FunctionName: same}}
              B: {Type: AWS::Serverless::Function, Metadata: {SmartPay: {Binary: b}}, Properties: {FunctionName: same}}
            """
        #expect(throws: TemplateError.self) { try TemplateParser.parse(names) }
    }

    @Test("cfn-lint accepts infra/template.yaml")
    func cfnLint() async throws {
        let lint = Executables.repositoryRoot.appendingPathComponent(".venv/bin/cfn-lint")
        try #require(FileManager.default.isExecutableFile(atPath: lint.path), "cfn-lint is missing: run make setup")
        let result = try await ProcessRunner.run(
            lint, arguments: [Executables.repositoryRoot.appendingPathComponent("infra/template.yaml").path],
            timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
    }
}

@Suite("Bus rules in the template")
struct TemplateRuleTests {
    static let template = """
        Resources:
          RewardFunction:
            Type: AWS::Serverless::Function
            Metadata: {SmartPay: {Binary: reward}}
            Properties:
              FunctionName: reward
              Events:
                OnPayment:
                  Type: EventBridgeRule
                  Properties:
                    Pattern:
                      source: [smartpay.pay]
                      detail-type: [payment.processed]
                      detail:
                        status: [succeeded]
                        amount_minor: [{numeric: [">", 0]}]
                        refunded: [false]
                    RetryPolicy: {MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600}
                    DeadLetterConfig: {Arn: "arn:aws:sqs:us-east-1:000000000000:reward-dlq"}
                OnSettlement:
                  Type: EventBridgeRule
                  Properties:
                    RuleName: reward-settlement
                    Pattern: {source: [smartpay.pay], detail-type: [{prefix: settlement.}]}
                    DeadLetterConfig: {Type: SQS}
        """

    @Test("rules carry their compiled pattern, retry policy (EventBridge's defaults when unset) and dead-letter queue")
    func rules() throws {
        let template = try TemplateParser.parse(Self.template)
        #expect(template.rules.keys.sorted() == ["RewardFunctionOnPayment", "reward-settlement"])
        let payment = try #require(template.rules["RewardFunctionOnPayment"])
        let target = try #require(payment.targets.first)
        #expect(payment.targets.count == 1 && payment.bus == "default")
        #expect(target.function == "reward")
        #expect(target.maximumRetryAttempts == 3)
        #expect(target.maximumEventAgeSeconds == 600)
        #expect(target.deadLetterQueue == "reward-dlq")
        #expect(
            payment.patternJSON["detail"]?["amount_minor"]
                == .array([.object(["numeric": .array([.string(">"), .number("0")])])]))
        let event = try JSONParser().parse(
            #"{"source": "smartpay.pay", "detail-type": "payment.processed", "detail": {"status": "succeeded", "amount_minor": 2000, "refunded": false}}"#
        )
        #expect(payment.pattern.matches(event))
        let settlement = try #require(template.rules["reward-settlement"])
        #expect(settlement.targets.first?.maximumRetryAttempts == 185)
        #expect(settlement.targets.first?.maximumEventAgeSeconds == 86400)
        #expect(settlement.targets.first?.deadLetterQueue == "RewardFunctionOnSettlementDLQ")
        #expect(settlement.arn == "arn:aws:events:us-east-1:000000000000:rule/reward-settlement")
    }

    @Test("AWS::Events::Rule resources (several targets, each with its policy) and archives")
    func ruleResources() throws {
        let template = try TemplateParser.parse(
            """
            Resources:
              Pay:
                Type: AWS::Serverless::Function
                Metadata: {SmartPay: {Binary: pay}}
                Properties: {FunctionName: pay}
              PaymentsBus:
                Type: AWS::Events::EventBus
                Properties: {Name: payments}
              Dlq:
                Type: AWS::SQS::Queue
                Properties: {QueueName: fanout-dlq}
              Fanout:
                Type: AWS::Events::Rule
                Properties:
                  EventBusName: !Ref PaymentsBus
                  EventPattern: '{"source": ["smartpay.pay"]}'
                  Targets:
                    - {Id: One, Arn: !GetAtt Pay.Arn, RetryPolicy: {MaximumRetryAttempts: 0}}
                    - Id: Two
                      Arn: arn:aws:lambda:us-east-1:000000000000:function:elsewhere
                      DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}
              Off:
                Type: AWS::Events::Rule
                Properties:
                  State: DISABLED
                  EventPattern: {source: [x]}
                  Targets: [{Id: T, Arn: !GetAtt Pay.Arn}]
              Everything:
                Type: AWS::Events::Archive
                Properties:
                  SourceArn: !GetAtt PaymentsBus.Arn
                  RetentionDays: 7
                  EventPattern: {source: [smartpay.pay]}
            """)
        #expect(template.rules.keys.sorted() == ["Fanout"], "a disabled rule is left out")
        let rule = try #require(template.rules["Fanout"])
        #expect(rule.bus == "payments")
        #expect(rule.arn == "arn:aws:events:us-east-1:000000000000:rule/payments/Fanout")
        #expect(rule.targets.map(\.id) == ["One", "Two"])
        #expect(rule.targets.map(\.function) == ["pay", "elsewhere"])
        #expect(rule.targets[0].maximumRetryAttempts == 0 && rule.targets[0].deadLetterQueue == nil)
        #expect(rule.targets[1].maximumRetryAttempts == 185 && rule.targets[1].deadLetterQueue == "fanout-dlq")
        let archive = try #require(template.archives["Everything"])
        #expect(archive.bus == "payments" && archive.retentionDays == 7)
        #expect(archive.pattern != nil)
    }

    @Test(
        "a bad AWS::Events::Rule is refused with its logical id",
        arguments: [
            ("EventPattern: {source: [a]}", "template: R: a rule needs Targets"),
            (
                "Targets: [{Id: T, Arn: arn:aws:lambda:us-east-1:0:function:f}]",
                "template: R: a rule needs an EventPattern"
            ),
            (
                "EventPattern: {source: [a]}\n      Targets: [{Id: T, Arn: arn:aws:sqs:us-east-1:0:q}]",
                "template: R: Targets[0]: only Lambda function targets run locally"
            ),
            (
                "EventPattern: {source: [a]}\n      Targets: [{Arn: arn:aws:lambda:us-east-1:0:function:f}]",
                "template: R: Targets[0]: needs an Id"
            ),
            (
                "ScheduleExpression: rate(1 minute)\n      Targets: [{Id: T, Arn: arn:aws:lambda:us-east-1:0:function:f}]",
                "template: R: ScheduleExpression rules are not supported locally"
            ),
        ])
    func invalidRuleResource(properties: String, message: String) {
        let text = """
            Resources:
              R:
                Type: AWS::Events::Rule
                Properties:
                  \(properties)
            """
        expectTemplateError(text, startingWith: message)
    }

    @Test(
        "a bad rule is refused with the function's logical id",
        arguments: [
            ("Pattern: {source: smartpay.pay}", "template: F: event E: Pattern: invalid event pattern at source"),
            (
                "Pattern: {source: [a]}\n            RetryPolicy: {MaximumRetryAttempts: 186}",
                "template: F: event E: RetryPolicy.MaximumRetryAttempts must be an integer from 0 to 185"
            ),
            (
                "Pattern: {source: [a]}\n            RetryPolicy: {MaximumEventAgeInSeconds: 30}",
                "template: F: event E: RetryPolicy.MaximumEventAgeInSeconds must be an integer from 60 to 86400"
            ),
            ("RetryPolicy: {MaximumRetryAttempts: 1}", "template: F: event E: an EventBridgeRule needs a Pattern"),
        ])
    func invalid(properties: String, message: String) {
        let text = """
            Resources:
              F:
                Type: AWS::Serverless::Function
                Metadata: {SmartPay: {Binary: f}}
                Properties:
                  Events:
                    E:
                      Type: EventBridgeRule
                      Properties:
                        \(properties)
            """
        expectTemplateError(text, startingWith: message)
    }
}

/// Expects `text` to be refused with a `TemplateError` whose description starts with `prefix`.
private func expectTemplateError(
    _ text: String, startingWith prefix: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(sourceLocation: sourceLocation) {
        try TemplateParser.parse(text)
    } throws: { error in
        (error as? TemplateError)?.description.hasPrefix(prefix) == true
    }
}
