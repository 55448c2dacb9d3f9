import Foundation
import SmartPayLedger
import SmartPayRedis
import TestSupport
import Testing

/// A 3-node Redis Cluster on loopback (`redis-cli --cluster create`), for as long as one test runs.
final class RedisCluster: @unchecked Sendable {
    // @unchecked: the processes are started in `start` and stopped in `stop`, by the one test that owns the cluster.
    private var nodes: [ChildProcess] = []
    private(set) var ports: [Int] = []
    let directory: URL

    init() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-cluster-\(UUID().uuidString)")
    }

    func start() async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for index in 0..<3 {
            // The cluster bus listens on port + 10000: keep both in range.
            var port = try FreePort.allocate()
            while port > 55_000 { port = try FreePort.allocate() }
            let folder = directory.appendingPathComponent("node\(index)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            nodes.append(
                try ChildProcess(
                    try Executables.find("redis-server"),
                    arguments: [
                        "--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                        "--cluster-config-file", folder.appendingPathComponent("nodes.conf").path, "--dir", folder.path,
                        "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
                    ]))
            ports.append(port)
        }
        for port in ports { try await waitForPing(port) }
        let created = try await ProcessRunner.run(
            try Executables.find("redis-cli"),
            arguments: ["--cluster", "create"] + ports.map { "127.0.0.1:\($0)" } + [
                "--cluster-replicas", "0", "--cluster-yes",
            ], timeout: .seconds(30))
        guard created.status == 0 else { throw TestSupportError("cluster create: \(created.stdoutText)") }
        for _ in 0..<200 {
            let states = ports.map { port in
                try? RedisConnection(configuration: Self.configuration(port)).send(["CLUSTER", "INFO"]).string
            }
            if states.allSatisfy({ $0?.contains("cluster_state:ok") == true }) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("the cluster did not reach cluster_state:ok")
    }

    static func configuration(_ port: Int) -> RedisConfiguration {
        RedisConfiguration(host: "127.0.0.1", port: port, connectTimeout: .seconds(1), commandTimeout: .seconds(5))
    }

    /// The node serving the slot of `key`.
    func node(for key: String) throws -> Int {
        let any = RedisConnection(configuration: Self.configuration(ports[0]))
        guard let slot = try any.send(["CLUSTER", "KEYSLOT", key]).integer,
            let ranges = try any.send(["CLUSTER", "SLOTS"]).array
        else { throw TestSupportError("no slot for \(key)") }
        for range in ranges {
            guard let parts = range.array, parts.count >= 3, let low = parts[0].integer, let high = parts[1].integer,
                let port = parts[2].array?[1].integer, (low...high).contains(slot)
            else { continue }
            return Int(port)
        }
        throw TestSupportError("no node serves slot \(slot)")
    }

    private func waitForPing(_ port: Int) async throws {
        let probe = RedisConnection(configuration: Self.configuration(port))
        for _ in 0..<200 {
            if (try? probe.send(["PING"])) == .status("PONG") { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestSupportError("cluster node \(port) did not start")
    }

    func stop() {
        for node in nodes { node.stop() }
        nodes = []
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The same script on a Redis Cluster: every key one batch touches shares the ledger's hash tag, so the cluster
/// runs it on the node of that slot (it refuses a script that reaches another slot).
@Suite("ledger on a 3-node Redis Cluster", .serialized)
struct LedgerClusterTests {
    @Test("the simulation's seeds give the model's results on the cluster; another node refuses the ledger's keys")
    func cluster() async throws {
        let cluster = RedisCluster()
        defer { cluster.stop() }
        try await cluster.start()
        let usdNode = try cluster.node(for: "{ledger:USD}:head")
        let directoryNode = try cluster.node(for: "ledger:ledgers")
        let clock = ManualClock()
        let store = RedisLedgerStore(
            redis: RedisClient(configuration: RedisCluster.configuration(usdNode)),
            directory: RedisClient(configuration: RedisCluster.configuration(directoryNode)), clock: clock.now)
        for seed: UInt64 in [1, 2, 3] {
            if seed > 1 { try await store.redis.send("FLUSHALL") }  // each seed starts from an empty ledger
            try await LedgerSimulationTests.run(seed: seed, redis: store, clock: clock)
        }
        // Another node refuses the ledger's keys: the cluster really is sharded.
        let otherPort = cluster.ports.first { $0 != usdNode }!
        let other = RedisClient(configuration: RedisCluster.configuration(otherPort))
        await #expect(throws: RedisError.self) {
            _ = try await RedisLedgerStore(redis: other).createTransfers([transfer(1, from: 1, to: 2, 5)])
        }
        #expect(try await store.ledgers() == [usd])
    }
}
