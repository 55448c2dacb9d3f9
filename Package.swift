// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "SmartPay",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SmartPayCore", targets: ["SmartPayCore"]),
        .library(name: "SmartPayRedis", targets: ["SmartPayRedis"]),
        .library(name: "SmartPayHTTP", targets: ["SmartPayHTTP"]),
        .library(name: "FunctionKit", targets: ["FunctionKit"]),
        .library(name: "SmartPayInvoke", targets: ["SmartPayInvoke"]),
        .library(name: "SmartPayContracts", targets: ["SmartPayContracts"]),
        .library(name: "SmartPayEvents", targets: ["SmartPayEvents"]),
        .library(name: "SmartPaySolana", targets: ["SmartPaySolana"]),
        .library(name: "SmartPayLedger", targets: ["SmartPayLedger"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Ground: C libraries behind one small typed wrapper each. Separate modules, so that a function links
        // libcurl (and its 30-odd shared libraries, ~5 ms of cold start) only when it calls out over HTTPS.
        .systemLibrary(
            name: "CHiredis",
            path: "Functions/Clients/CHiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            path: "Functions/Clients/CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "SmartPayCore", path: "Functions/Core", swiftSettings: strict),
        // The types that cross a boundary: EventBridge's envelope and PutEvents validation, every bus event's detail,
        // every function-to-function request and answer, and the Redis key layouts two sides share.
        .target(
            name: "SmartPayContracts", dependencies: ["SmartPayCore"], path: "Functions/Contracts",
            swiftSettings: strict),
        .target(name: "SmartPayIO", path: "Functions/Clients/IO", swiftSettings: strict),
        .target(
            name: "SmartPayRedis",
            dependencies: ["CHiredis", "SmartPayIO"],
            path: "Functions/Clients/Redis",
            swiftSettings: strict
        ),
        .target(
            name: "SmartPayHTTP",
            dependencies: ["CCurl", "SmartPayIO"],
            path: "Functions/Clients/HTTP",
            swiftSettings: strict
        ),
        // Solana: base58, keys, legacy transactions signed with ed25519, and the JSON-RPC client (pay's pay-in,
        // reward's mints).
        .target(
            name: "SmartPaySolana",
            dependencies: ["SmartPayCore", "SmartPayHTTP", .product(name: "Crypto", package: "swift-crypto")],
            path: "Functions/Clients/Solana",
            swiftSettings: strict
        ),
        // Middle: the function harness.
        .target(
            name: "FunctionKit",
            dependencies: [
                "SmartPayCore", "SmartPayContracts", "SmartPayIO",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Functions/Kit",
            swiftSettings: strict
        ),

        // The local runtime: the template, warm function processes behind emulated Runtime APIs, the HTTP API,
        // the AWS-compatible endpoint, and the `smartpay` command.
        .target(
            name: "SmartPayTemplate",
            dependencies: [
                "SmartPayBus", "SmartPayContracts", "SmartPayCore", .product(name: "Yams", package: "Yams"),
            ],
            path: "Runtime/Template",
            swiftSettings: strict
        ),
        .target(
            name: "SmartPayRuntime",
            dependencies: [
                "SmartPayTemplate", "SmartPayCore", "SmartPayContracts", "SmartPayRedis", "SmartPayIO",
                "SmartPayEvents",
                "SmartPayBus", "SmartPayAuth",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Runtime/Server",
            swiftSettings: strict
        ),
        // Identity and limits at the gateway: JWT verification (RS256/ES256 against a JWKS), the development
        // identity, merchant API keys, token-bucket rate limits in Redis, request limits.
        .target(
            name: "SmartPayAuth",
            dependencies: [
                "SmartPayCore", "SmartPayRedis", "SmartPayHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Runtime/Auth",
            swiftSettings: strict
        ),
        .target(
            name: "SmartPayBus",
            dependencies: ["SmartPayCore"],
            path: "Runtime/Bus",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "smartpay",
            dependencies: [
                "SmartPayRuntime", "SmartPayTemplate", "FunctionKit", "SmartPayAuth", "SmartPayRedis", "SmartPayCore",
                "SmartPayContracts", "SmartPayLedger",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Runtime/CLI",
            swiftSettings: strict
        ),
        // Publishing to the event bus (the outbox) and dropping duplicate deliveries, for functions and the runtime.
        .target(
            name: "SmartPayEvents",
            dependencies: ["SmartPayCore", "SmartPayContracts", "SmartPayRedis"],
            path: "Functions/Events",
            swiftSettings: strict
        ),
        // Calling sibling functions: the Lambda Invoke API, SigV4-signed when credentials are configured. Its own
        // module, because it links libcurl (HTTPS to AWS) and only functions that call siblings need it.
        .target(
            name: "SmartPayInvoke",
            dependencies: ["SmartPayCore", "SmartPayHTTP", .product(name: "Crypto", package: "swift-crypto")],
            path: "Functions/Invoke",
            swiftSettings: strict
        ),

        // The fraud function: streaming features on Redis, a gradient-boosted model evaluated natively, risk tiers with
        // reasons; and its offline commands (features, evaluate) over the same feature code.
        .target(
            name: "FraudFunction",
            dependencies: [
                "FunctionKit", "SmartPayCore", "SmartPayContracts", "SmartPayIO", "SmartPayRedis", "SmartPayEvents",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Functions/Fraud/Library",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "fraud",
            dependencies: ["FraudFunction", "FunctionKit"],
            path: "Functions/Fraud/main",
            swiftSettings: strict
        ),

        // The route function's policy: a discounted contextual bandit over the gateway catalogue, circuit breakers,
        // and `route --stdio` for simulators (issue 7, in progress: the Redis-backed handler comes next).
        .target(
            name: "RouteFunction",
            dependencies: [
                "FunctionKit", "SmartPayCore", "SmartPayContracts", "SmartPayRedis", "SmartPayIO",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Functions/Route/Library",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "route",
            dependencies: ["RouteFunction", "FunctionKit"],
            path: "Functions/Route/main",
            swiftSettings: strict
        ),

        // The pay function: payments under a state machine, Stripe-grade idempotency, fraud and route invoked through
        // the Lambda endpoint, gateway adapters with failover, and the outbox.
        .target(
            name: "PayFunction",
            dependencies: [
                "FunctionKit", "SmartPayCore", "SmartPayContracts", "SmartPayRedis", "SmartPayEvents", "SmartPayHTTP",
                "SmartPayInvoke",
                "SmartPaySolana", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Functions/Pay/Library",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "pay",
            dependencies: ["PayFunction", "FunctionKit"],
            path: "Functions/Pay/main",
            swiftSettings: strict
        ),

        // The ledger: double-entry accounts and transfers with TigerBeetle's semantics, one Lua script per batch on
        // Redis (or the same state machine in memory), a SHA-256-chained journal and its verifier.
        .target(
            name: "SmartPayLedger",
            dependencies: ["SmartPayCore", "SmartPayRedis", .product(name: "Crypto", package: "swift-crypto")],
            path: "Functions/Ledger/Engine",
            swiftSettings: strict
        ),

        // The ledger function: the platform's postings (captures, refunds) from the bus, GET /balance, and
        // TigerBeetle's requests as direct actions.
        .target(
            name: "LedgerFunction",
            dependencies: [
                "FunctionKit", "SmartPayCore", "SmartPayContracts", "SmartPayRedis", "SmartPayLedger",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Functions/Ledger/Library",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ledger",
            dependencies: ["LedgerFunction", "FunctionKit"],
            path: "Functions/Ledger/main",
            swiftSettings: strict
        ),

        // The reward function: tokens earned on payments, escrow until settlement, minted on Solana or a ledger.
        .target(
            name: "RewardFunction",
            dependencies: [
                "FunctionKit", "SmartPayCore", "SmartPayContracts", "SmartPayRedis", "SmartPayEvents", "SmartPayHTTP",
                "SmartPaySolana",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Functions/Reward/Library",
            swiftSettings: strict
        ),

        .executableTarget(
            name: "reward",
            dependencies: ["RewardFunction", "FunctionKit"],
            path: "Functions/Reward/main",
            swiftSettings: strict
        ),

        // The websocket-publish function: the WebSocket API's routes (subscriptions) and the live fan-out of bus events
        // through the @connections management API.
        .target(
            name: "WebSocketPublishFunction",
            dependencies: [
                "FunctionKit", "SmartPayCore", "SmartPayContracts", "SmartPayRedis", "SmartPayEvents", "SmartPayHTTP",
                "SmartPayInvoke", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Functions/WebSocketPublish/Library",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "websocket-publish",
            dependencies: ["WebSocketPublishFunction", "FunctionKit"],
            path: "Functions/WebSocketPublish/main",
            swiftSettings: strict
        ),

        // The chat function: a support assistant grounded in the user documentation (BM25) and the caller's own
        // payments, with sessions, a cache, redaction and an optional OpenAI-compatible model.
        .target(
            name: "ChatFunction",
            dependencies: [
                "FunctionKit", "SmartPayCore", "SmartPayRedis", "SmartPayHTTP", "SmartPayInvoke",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Functions/Chat/Library",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "chat",
            dependencies: ["ChatFunction", "FunctionKit"],
            path: "Functions/Chat/main",
            swiftSettings: strict
        ),

        // The test function that proves the harness end to end (events/split/).
        .target(
            name: "SplitFunction",
            dependencies: ["FunctionKit", "SmartPayCore"],
            path: "Tests/Fixtures/SplitFunction",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "split",
            dependencies: ["SplitFunction", "FunctionKit"],
            path: "Tests/Fixtures/split",
            swiftSettings: strict
        ),

        // The event bus's test function (delivery, retries, dedupe, the outbox).
        .target(
            name: "ProbeFunction",
            dependencies: ["FunctionKit", "SmartPayCore", "SmartPayContracts", "SmartPayEvents", "SmartPayRedis"],
            path: "Tests/Fixtures/ProbeFunction",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "probe",
            dependencies: ["ProbeFunction", "FunctionKit"],
            path: "Tests/Fixtures/probe",
            swiftSettings: strict
        ),

        // Tests and benchmarks.
        .target(
            name: "TestSupport",
            dependencies: [
                "SmartPayRedis", "SmartPayIO", "SmartPayHTTP", "SmartPaySolana",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/Support",
            swiftSettings: strict
        ),
        .testTarget(name: "SmartPayCoreTests", dependencies: ["SmartPayCore"], path: "Tests/CoreTests"),
        .testTarget(
            name: "SmartPayContractsTests", dependencies: ["SmartPayContracts", "SmartPayCore", "TestSupport"],
            path: "Tests/ContractsTests"),
        .testTarget(
            name: "SmartPayClientsTests",
            dependencies: [
                "SmartPayRedis", "SmartPayHTTP", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Tests/ClientsTests"
        ),
        .testTarget(
            name: "FunctionKitTests",
            dependencies: [
                "FunctionKit", "SmartPayContracts", "SplitFunction", "split", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Tests/KitTests"
        ),
        .testTarget(
            name: "FraudTests",
            dependencies: [
                "FraudFunction", "FunctionKit", "SmartPayCore", "SmartPayContracts", "SmartPayRedis", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/FraudTests"
        ),
        .testTarget(
            name: "RouteTests",
            dependencies: [
                "RouteFunction", "FunctionKit", "SmartPayCore", "SmartPayContracts", "SmartPayRedis", "TestSupport",
                "route",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/RouteTests"
        ),
        .testTarget(
            name: "PayTests",
            dependencies: [
                "PayFunction", "FunctionKit", "SmartPayCore", "SmartPayContracts", "SmartPayRedis", "SmartPayHTTP",
                "SmartPayEvents", "SmartPaySolana", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Tests/PayTests"
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: [
                "SmartPayLedger", "LedgerFunction", "FunctionKit", "SmartPayContracts", "SmartPayCore", "SmartPayRedis",
                "TestSupport",
            ],
            path: "Tests/LedgerTests"
        ),
        .testTarget(
            name: "RewardTests",
            dependencies: [
                "RewardFunction", "FunctionKit", "SmartPayCore", "SmartPayContracts", "SmartPayRedis", "SmartPayHTTP",
                "SmartPaySolana",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/RewardTests"
        ),
        .testTarget(
            name: "ChatTests",
            dependencies: [
                "ChatFunction", "FunctionKit", "SmartPayCore", "SmartPayRedis", "SmartPayHTTP", "TestSupport", "chat",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ChatTests",
            exclude: ["questions.json"]
        ),
        .testTarget(
            name: "WebSocketPublishTests",
            dependencies: [
                "WebSocketPublishFunction", "FunctionKit", "SmartPayCore", "SmartPayContracts", "SmartPayRedis",
                "SmartPayEvents", "TestSupport", "websocket-publish",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/WebSocketPublishTests"
        ),
        .testTarget(
            name: "SmartPayBusTests",
            dependencies: ["SmartPayBus", "SmartPayContracts", "SmartPayCore"],
            path: "Tests/BusTests",
            exclude: ["pattern_corpus.py"]
        ),
        .testTarget(
            name: "SmartPayRuntimeTests",
            dependencies: [
                "SmartPayRuntime", "SmartPayTemplate", "SmartPayHTTP", "SmartPayInvoke", "SmartPayCore",
                "SmartPayContracts",
                "TestSupport",
                "SmartPayEvents", "SmartPayRedis", "SmartPayBus", "SmartPayAuth", "SmartPaySolana", "smartpay", "split",
                "probe", "fraud", "route", "pay", "reward", "chat", "websocket-publish",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Tests/RuntimeTests"
        ),
        .executableTarget(
            name: "smartpay-bench",
            dependencies: [
                "SmartPayRedis", "SmartPayCore", "SmartPayContracts", "SmartPayBus", "SmartPayEvents", "SmartPayHTTP",
                "SmartPayRuntime",
                "FraudFunction", "SmartPayIO", "FunctionKit", "RouteFunction", "SmartPaySolana", "SmartPayLedger",
                .product(name: "Logging", package: "swift-log"),
                "ChatFunction",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/Benchmarks/FoundationBench",
            swiftSettings: strict
        ),
    ]
)
