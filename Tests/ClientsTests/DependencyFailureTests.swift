import SmartPayHTTP
import SmartPayIO
import SmartPayRedis
import Testing

@Suite("the clients' errors are dependency failures, naming their service")
struct DependencyFailureTests {
    @Test("RedisError names Redis, HTTPClientError an HTTP service; both keep their own description")
    func conformances() throws {
        let redis: any Error = RedisError(.connectionFailed, "Connection refused")
        let redisFailure = try #require(redis as? any DependencyFailure)
        #expect(redisFailure.dependency == "Redis")
        #expect(redisFailure.description == "redis connection_failed: Connection refused")

        let http: any Error = HTTPClientError(.timeout, "Operation timed out after 3000 milliseconds")
        let httpFailure = try #require(http as? any DependencyFailure)
        #expect(httpFailure.dependency == "an HTTP service")
        #expect(httpFailure.description == "http timeout: Operation timed out after 3000 milliseconds")
    }

    @Test("an unreachable Redis fails with a dependency failure named after the client's service, else Redis")
    func unreachable() async throws {
        for (service, dependency) in [("the routing store", "the routing store"), (nil, "Redis")] as [(String?, String)]
        {
            let client = try RedisClient(url: "redis://127.0.0.1:1", maximumConnections: 1, service: service)
            do {
                _ = try await client.send("PING")
                Issue.record("PING answered on port 1")
            } catch {
                #expect(error.code == .connectionFailed)
                #expect(error.service == service && error.dependency == dependency)
                #expect((error as any Error) is any DependencyFailure)
            }
        }
    }
}
