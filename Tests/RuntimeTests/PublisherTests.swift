import Foundation
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis
import TestSupport
import Testing

/// The functions' side of the bus against a real redis-server: the publisher, the outbox and the dedupe helper.
@Suite("Publisher and dedupe")
struct PublisherTests {
    @Test("publish appends validated envelopes to the ingest stream; a delayed one goes to the delayed set")
    func publish() async throws {
        try await RedisServer.with { redis in
            let client = RedisClient(configuration: redis.configuration)
            let publisher = RedisEventPublisher(redis: client)
            let event = OutgoingEvent(
                source: "smartpay.pay", detailType: "payment.processed", detail: .object(["amount": .number("2000")]))
            let id = try await publisher.publish(event)
            #expect(id == event.id)
            let entries = try await client.send(["XRANGE", BusKeys.ingest(bus: "default"), "-", "+"]).array ?? []
            #expect(entries.count == 1)
            let fields = entries.first?.array?[1].array?.compactMap(\.string) ?? []
            let envelope = try JSONParser().parse(fields[1])
            #expect(envelope["id"] == .string(id) && envelope["detail-type"] == .string("payment.processed"))
            #expect(envelope["account"] == .string("000000000000") && envelope["version"] == .string("0"))

            _ = try await publisher.publish(event, deliverAt: Timestamp.now().adding(milliseconds: 60_000))
            #expect(try await client.send(["ZCARD", BusKeys.delayed]).integer == 1)
        }
    }

    @Test("an invalid event is refused before anything is written")
    func invalid() async throws {
        try await RedisServer.with { redis throws in
            let client = RedisClient(configuration: redis.configuration)
            let publisher = RedisEventPublisher(redis: client)
            let good = OutgoingEvent(source: "smartpay.pay", detailType: "ok", detail: .object([:]))
            let reserved = OutgoingEvent(source: "aws.events", detailType: "x", detail: .object([:]))
            let notObject = OutgoingEvent(source: "smartpay.pay", detailType: "x", detail: .array([]))
            for bad in [reserved, notObject] {
                let error = await #expect(throws: EventPublishError.self) {
                    try await publisher.publish([good, bad], deliverAt: nil)
                }
                let message = error?.message ?? ""
                #expect(message.contains(bad.id), "\(message)")
            }
            let written = try await client.send(["EXISTS", BusKeys.ingest(bus: "default")]).integer
            #expect(written == 0, "all or none")
        }
    }

    @Test("the outbox writes the state change and its event together")
    func outbox() async throws {
        try await RedisServer.with { redis in
            let client = RedisClient(configuration: redis.configuration)
            let publisher = RedisEventPublisher(redis: client)
            let replies = try await publisher.publish(
                [OutgoingEvent(source: "smartpay.pay", detailType: "payment.processed", detail: .object([:]))],
                with: [["HSET", "payment:pay_1", "status", "succeeded"]])
            #expect(replies == [.integer(1)])
            #expect(try await client.send(["HGET", "payment:pay_1", "status"]).string == "succeeded")
            #expect(try await client.send(["XLEN", BusKeys.ingest(bus: "default")]).integer == 1)
            // An invalid event: neither the state change nor the event is written.
            await #expect(throws: EventPublishError.self) {
                _ = try await publisher.publish(
                    [OutgoingEvent(source: "aws.x", detailType: "x", detail: .object([:]))],
                    with: [["HSET", "payment:pay_2", "status", "succeeded"]])
            }
            #expect(try await client.send(["EXISTS", "payment:pay_2"]).integer == 0)
            #expect(try await client.send(["XLEN", BusKeys.ingest(bus: "default")]).integer == 1)
        }
    }

    @Test("the dedupe helper runs a handler's writes once per event id, atomically with the claim")
    func dedupe() async throws {
        try await RedisServer.with { redis in
            let client = RedisClient(configuration: redis.configuration)
            let dedupe = Deduplicator(redis: client, namespace: "test", window: .seconds(60))
            let results = try await withThrowingTaskGroup(of: [RedisReply]?.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await dedupe.once("evt_1", commands: [["INCR", "count"], ["SET", "k", "v"]])
                    }
                }
                return try await group.reduce(into: [[RedisReply]?]()) { $0.append($1) }
            }
            #expect(results.compactMap { $0 }.count == 1, "exactly one of 20 concurrent deliveries ran")
            #expect(results.compactMap { $0 }.first == [.integer(1), .status("OK")])
            #expect(try await client.send(["GET", "count"]).integer == 1)
            #expect(try await dedupe.firstSeen("evt_2"))
            #expect(try await !dedupe.firstSeen("evt_2"))
            let ttl = try await client.send(["PTTL", "smartpay:dedupe:test:evt_2"]).integer ?? 0
            #expect(ttl > 50_000 && ttl <= 60_000)
        }
    }
}
