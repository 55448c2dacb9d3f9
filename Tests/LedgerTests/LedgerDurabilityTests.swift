import Foundation
import SmartPayLedger
import SmartPayRedis
import Synchronization
import TestSupport
import Testing

/// Durable before acknowledged: with `appendfsync always` a batch's reply comes after its AOF write is on disk, and
/// the script's writes are one transaction in the AOF, so a crash loses no acknowledged transfer and half-writes
/// nothing. (A SIGKILL tests the process crash; that a power cut loses nothing rests on the fsync before the reply,
/// which `appendfsync always` gives and a test on one machine cannot show.)
@Suite("ledger durability: Redis killed mid-load, restarted from its AOF", .serialized)
struct LedgerDurabilityTests {
    @Test("every acknowledged transfer survives a SIGKILL of Redis; the journal verifies after the restart")
    func killedRedis() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-aof-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await RedisServer.start(durableDirectory: directory)
        defer { server.stop() }
        let store = RedisLedgerStore(redis: RedisClient(configuration: server.configuration, maximumConnections: 4))
        try await openAccounts(store, [1, 2])

        let acknowledged = Acknowledged()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for batch in 0..<10_000 {
                        let transfers = (0..<10).map { n in
                            transfer(UInt128(writer) << 64 | UInt128(batch * 10 + n), from: 1, to: 2, 1)
                        }
                        guard let results = try? await store.createTransfers(transfers) else { return }
                        if results.allSatisfy({ $0 == .created }) {
                            acknowledged.ids.withLock { $0 += transfers.map(\.id) }
                        }
                    }
                }
            }
            group.addTask {
                // Let some batches commit, then crash the server under the writers.
                while acknowledged.ids.withLock({ $0.count }) < 400 { try await Task.sleep(for: .milliseconds(5)) }
                server.kill()
            }
            try await group.waitForAll()
        }
        try await server.restart()
        let reopened = RedisLedgerStore(redis: RedisClient(configuration: server.configuration))
        let ids = acknowledged.ids.withLock { $0 }
        #expect(ids.count >= 400)
        var missing = 0
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(ids.count, start + 500)])
            missing += try await reopened.lookupTransfers(chunk, ledger: usd).filter { $0 == nil }.count
            start += chunk.count
        }
        #expect(missing == 0, "\(missing) of \(ids.count) acknowledged transfers were lost")
        let report = try await verify(reopened)
        #expect(report.ok, "\(report.failureReason ?? "")")
        #expect(report.transfers >= ids.count)
        let credited = try await balances(reopened, 2)
        #expect(credited.last == Int64(report.transfers), "the balance is what the journal says")
    }
}

/// The ids whose batch was answered `created`, from several writers.
final class Acknowledged: Sendable {
    let ids = Mutex<[LedgerID]>([])
}
