import Foundation
import FunctionKit
import Logging
import RouteFunction
import SmartPayContracts
import SmartPayCore
import SmartPayRedis
import TestSupport
import Testing

@Suite("the router's model in Redis", .serialized)
struct RouteModelStoreTests {
    static func features(_ index: Int) -> [Double] {
        let context = RouteContext(
            money: Money(minorUnits: Int64(500 + index * 131 % 30_000), currency: .usd), method: .card,
            cardNetwork: ["visa", "mastercard", "amex"][index % 3], country: ["US", "FR", "JP"][index % 3],
            hour: index % 24)
        return context.features
    }

    @Test("concurrent feedback from two clients on separate connections loses no update")
    func concurrentFeedback() async throws {
        try await RedisServer.with { server in
            var settings = RouterSettings()
            settings.gamma = 1  // no forgetting: the result must not depend on the order
            let first = RouteModelStore(
                redis: RedisClient(configuration: server.configuration, maximumConnections: 4), settings: settings)
            let second = RouteModelStore(
                redis: RedisClient(configuration: server.configuration, maximumConnections: 4), settings: settings)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    let store = worker % 2 == 0 ? first : second
                    group.addTask {
                        for index in stride(from: worker, to: 800, by: 8) {
                            try await store.update(
                                gateway: "stripe", features: Self.features(index), authorized: index % 5 != 0)
                        }
                    }
                }
                try await group.waitForAll()
            }
            var local = DiscountedRidge(dimension: RouteFeatures.dimension, gamma: 1, lambda: settings.lambda)
            for index in 0..<800 { local.update(Self.features(index), index % 5 != 0 ? 1 : 0, step: 0) }
            let snapshot = try await first.snapshot(gateways: ["stripe", "solana"])
            #expect(snapshot.step == 0)
            let stored = try #require(snapshot.arms["stripe"])
            #expect(stored.weight == 800)
            #expect(snapshot.arms["solana"] == nil)
            for index in 0..<20 {
                let (mean, width) = stored.predict(Self.features(index * 7))
                let (expectedMean, expectedWidth) = local.predict(Self.features(index * 7))
                #expect(abs(mean - expectedMean) < 1e-9 && abs(width - expectedWidth) < 1e-9)
            }
        }
    }

    @Test("the Lua update forgets exactly as the Swift model does")
    func forgettingMatches() async throws {
        try await RedisServer.with { server in
            var settings = RouterSettings()
            settings.gamma = 0.99
            let store = RouteModelStore(redis: RedisClient(configuration: server.configuration), settings: settings)
            var local = DiscountedRidge(dimension: RouteFeatures.dimension, gamma: 0.99, lambda: settings.lambda)
            for index in 0..<300 {
                let step = try await store.tick()
                if index % 3 == 0 {  // outcomes for a third of the decisions, as feedback is sparse per gateway
                    try await store.update(
                        gateway: "amazon_pay", features: Self.features(index), authorized: index % 7 != 0)
                    local.update(Self.features(index), index % 7 != 0 ? 1 : 0, step: step)
                }
            }
            let stored = try #require(try await store.snapshot(gateways: ["amazon_pay"]).arms["amazon_pay"])
            #expect(abs(stored.weight - local.weight) < 1e-9)
            for index in 0..<20 {
                let (mean, width) = stored.predict(Self.features(index * 11))
                let (expectedMean, expectedWidth) = local.predict(Self.features(index * 11))
                #expect(abs(mean - expectedMean) < 1e-9 && abs(width - expectedWidth) < 1e-9)
            }
        }
    }
}

@Suite("the router's model in Redis, across processes", .serialized)
struct RouteModelStoreProcessTests {
    @Test("feedback from two route processes at once loses no update")
    func twoProcesses() async throws {
        try await RedisServer.with { server in
            let redis = RedisClient(configuration: server.configuration)
            let handler = RouteHandler(store: RouteModelStore(redis: redis), refreshInterval: .zero)
            // 60 decisions for stripe, recorded in Redis as the function records them.
            var ids: [String] = []
            for index in 0..<60 {
                let body = try JSONParser().parse(
                    #"{"amount_minor": 2000, "currency": "USD", "method": "card", "country": "US", "gateways": ["stripe"]}"#
                )
                let context = InvocationContext(
                    requestID: "p\(index)", deadline: .now + .seconds(10), logger: Logger(label: "test"),
                    functionName: "route", configuration: FunctionConfiguration([:]))
                guard let made = try await handler.handle(body, context: context).value as? RouteDecision
                else { return }
                ids.append(made.decisionID)
            }
            // Two long-lived route processes under the Runtime API would need the platform; two streams of one-shot
            // processes (30 each, concurrently) exercise the same thing: separate processes updating one model.
            let route = try Executables.built("route")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for half in 0..<2 {
                    let mine = ids.enumerated().filter { $0.offset % 2 == half }.map(\.element)
                    group.addTask {
                        for id in mine {
                            let event =
                                #"{"version": "0", "id": "e-\#(id)", "detail-type": "payment.processed", "source": "smartpay.pay", "account": "0", "time": "2026-11-22T10:00:00Z", "region": "us-east-1", "resources": [], "detail": \#(try RouteHandlerTests.processed(id, succeeded: true).serializedString)}"#
                            let result = try await ProcessRunner.run(
                                route, arguments: ["-"], environment: ["REDIS_URL": server.url],
                                stdin: Data(event.utf8))
                            #expect(result.status == 0, "\(result.stdoutText) \(result.stderrText)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let snapshot = try await RouteModelStore(redis: redis).snapshot(gateways: ["stripe"])
            #expect(snapshot.arms["stripe"]?.weight ?? 0 > 59.9, "weight \(snapshot.arms["stripe"]?.weight ?? 0) of 60")
        }
    }
}
