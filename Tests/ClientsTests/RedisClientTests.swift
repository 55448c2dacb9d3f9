import Foundation
import SmartPayRedis
import TestSupport
import Testing

@Suite("Redis client against a real redis-server", .serialized)
struct RedisClientTests {
    @Test("binary-safe commands and every reply type are copied out of hiredis")
    func replies() async throws {
        try await RedisServer.with { server in
            let client = RedisClient(configuration: server.configuration)
            let binary: [UInt8] = [0, 1, 2, 0xFF, 0x0D, 0x0A, 0x20]
            #expect(try await client.send(bytes: [Array("SET".utf8), Array("bin".utf8), binary]) == .status("OK"))
            #expect(try await client.send("GET", "bin") == .bulk(binary))
            #expect(try await client.send("GET", "missing") == .null)
            #expect(try await client.send("INCRBY", "n", "41") == .integer(41))
            try await client.send("RPUSH", "list", "a", "b")
            #expect(
                try await client.send("LRANGE", "list", "0", "-1")
                    == .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8))]))
            let error = await #expect(throws: RedisError.self) { try await client.send("INCR", "list") }
            #expect(error?.code == .server)
            #expect(error?.message.hasPrefix("WRONGTYPE") == true)
        }
    }

    @Test("pipelining sends many commands in one round trip and keeps error replies in place")
    func pipelining() async throws {
        try await RedisServer.with { server in
            let client = RedisClient(configuration: server.configuration)
            var commands = (0..<100).map { ["SET", "k\($0)", "\($0)"] }
            commands.append(["INCR", "k1", "extra"])
            commands.append(["GET", "k99"])
            let replies = try await client.pipeline(commands)
            #expect(replies.count == 102)
            #expect(replies[0] == .status("OK"))
            if case .error(let message) = replies[100] {
                #expect(message.contains("wrong number"))
            } else {
                Issue.record("expected an error reply")
            }
            #expect(replies[101].string == "99")
        }
    }

    @Test("MULTI/EXEC is atomic; a WATCHed key that changes aborts it")
    func transactions() async throws {
        try await RedisServer.with { server in
            let client = RedisClient(configuration: server.configuration, maximumConnections: 2)
            let results = try await client.transaction([["SET", "a", "1"], ["INCR", "a"], ["GET", "a"]])
            #expect(results == [.status("OK"), .integer(2), .bulk(Array("2".utf8))])

            await #expect(throws: RedisError.self) {
                try await client.transaction([["SET", "a", "1"], ["NOSUCHCOMMAND"]])
            }
            #expect(try await client.send("GET", "a").string == "2", "EXECABORT must not have written anything")

            let aborted = try await client.withConnection { connection throws(RedisError) -> Bool in
                _ = try connection.send(["WATCH", "a"])
                let other = RedisConnection(configuration: server.configuration)
                _ = try other.send(["SET", "a", "changed"])
                do throws(RedisError) {
                    _ = try connection.transaction([["SET", "a", "mine"]])
                    return false
                } catch {
                    guard error.code == .transactionAborted else { throw error }
                    return true
                }
            }
            #expect(aborted)
            #expect(try await client.send("GET", "a").string == "changed")
        }
    }

    @Test("scripts run by SHA and are loaded again after SCRIPT FLUSH")
    func scripts() async throws {
        try await RedisServer.with { server in
            let client = RedisClient(configuration: server.configuration)
            let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
            #expect(try await client.evaluate(script, keys: ["counter"], arguments: ["5"]) == .integer(5))
            #expect(try await client.evaluate(script, keys: ["counter"], arguments: ["5"]) == .integer(10))
            try await client.send("SCRIPT", "FLUSH")
            #expect(try await client.evaluate(script, keys: ["counter"], arguments: ["1"]) == .integer(11))
            let broken = RedisScript("return redis.call('NOPE')")
            await #expect(throws: RedisError.self) { try await client.evaluate(broken, keys: [], arguments: []) }
        }
    }

    @Test("a killed server fails the command in flight; after restart the client reconnects by itself")
    func reconnect() async throws {
        try await RedisServer.with { server in
            let client = RedisClient(configuration: server.configuration, maximumConnections: 4)
            try await client.send("SET", "before", "1")
            server.kill()
            let error = await #expect(throws: RedisError.self) { try await client.send("GET", "before") }
            #expect(error?.code == .connectionFailed || error?.code == .connectionLost)
            try await server.restart()
            // No persistence: the restarted server is empty, and every pooled connection works again.
            for _ in 0..<8 {
                #expect(try await client.send("GET", "before") == .null)
            }
            try await client.send("SET", "after", "2")
            #expect(try await client.send("GET", "after").string == "2")
        }
    }

    @Test("a slow reply times out and the connection is remade")
    func commandTimeout() async throws {
        try await RedisServer.with { server in
            var configuration = server.configuration
            configuration.commandTimeout = .milliseconds(200)
            let client = RedisClient(configuration: configuration, maximumConnections: 1)
            let error = await #expect(throws: RedisError.self) {
                try await client.send("BLPOP", "nothing", "1")
            }
            #expect(error?.code == .timeout)
            try await Task.sleep(for: .seconds(1))
            #expect(try await client.send("PING") == .status("PONG"))
        }
    }

    @Test("100 concurrent callers share a small pool and lose no update")
    func concurrentCallers() async throws {
        try await RedisServer.with { server in
            let client = RedisClient(configuration: server.configuration, maximumConnections: 8)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<100 {
                    group.addTask {
                        for i in 0..<20 {
                            try await client.send("INCR", "shared")
                            try await client.send("SET", "caller:\(caller)", "\(i)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await client.send("GET", "shared").integer == 2000)
            #expect(try await client.send("DBSIZE").integer == 101)
        }
    }

    @Test("connection refused is a clear connectionFailed error")
    func refused() async throws {
        let port = try FreePort.allocate()
        let client = try RedisClient(url: "redis://127.0.0.1:\(port)")
        let error = await #expect(throws: RedisError.self) {
            try await client.send("PING")
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
    }

    @Test("redis:// URLs are parsed with password, user, port and database")
    func urls() throws {
        let full = try RedisConfiguration(url: "redis://user:p%40ss@cache.local:6380/3")
        #expect(full.host == "cache.local" && full.port == 6380 && full.database == 3)
        #expect(full.username == "user" && full.password == "p@ss")
        let passwordOnly = try RedisConfiguration(url: "redis://:secret@127.0.0.1")
        #expect(passwordOnly.password == "secret" && passwordOnly.username == nil && passwordOnly.port == 6379)
        #expect(try RedisConfiguration(url: "redis://[::1]:7000").host == "::1")
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "http://x") }
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "redis://h:99999") }
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "redis://h/x") }
        #expect(RedisConfiguration.redacted("redis://:secret@h:1/0") == "redis://***@h:1/0")
    }

    @Test("password and database from the URL are applied on connect")
    func authAndSelect() async throws {
        try await RedisServer.with { server in
            let admin = RedisClient(configuration: server.configuration)
            try await admin.send("CONFIG", "SET", "requirepass", "s3cret")
            let client = try RedisClient(url: "redis://:s3cret@127.0.0.1:\(server.port)/2")
            try await client.send("SET", "in-db-2", "yes")
            #expect(try await client.send("SELECT", "2") == .status("OK"))
            let wrong = try RedisClient(url: "redis://:wrong@127.0.0.1:\(server.port)")
            await #expect(throws: RedisError.self) { try await wrong.send("PING") }
        }
    }
}
