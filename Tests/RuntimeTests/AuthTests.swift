import Crypto
import Foundation
import SmartPayAuth
import SmartPayCore
import SmartPayHTTP
import SmartPayRedis
import SmartPayRuntime
import TestSupport
import Testing
import _CryptoExtras

@Suite("The JWT authorizer's checks")
struct JWTVerifierTests {
    let identity = DevelopmentIdentity(key: P256.Signing.PrivateKey())
    var verifier: JWTVerifier {
        JWTVerifier(
            issuer: DevelopmentIdentity.issuer, audiences: [DevelopmentIdentity.audience],
            keys: StaticJWKS(identity.jwks))
    }

    func claims(_ changes: [String: JSONValue] = [:], drop: [String] = []) -> JSONValue {
        let now = Timestamp.now().millisecondsSinceEpoch / 1000
        var claims: [String: JSONValue] = [
            "iss": .string(DevelopmentIdentity.issuer), "aud": .string("smartpay"), "sub": .string("c_7"),
            "exp": .number(String(now + 600)), "scope": .string("payments:read payments:write"),
        ]
        for (name, value) in changes { claims[name] = value }
        for name in drop { claims[name] = nil }
        return .object(claims)
    }

    func rejection(_ token: String) async -> String? {
        do {
            _ = try await verifier.verify(token)
            return nil
        } catch {
            #expect(error.kind == .unauthorized)
            return error.message
        }
    }

    @Test("a valid token's claims and scopes come through")
    func valid() async throws {
        let token = identity.token(subject: "c_7", role: "customer", scopes: ["payments:read"])
        let verified = try await verifier.verify(token)
        #expect(verified.subject == "c_7")
        #expect(verified.scopes == ["payments:read"])
        #expect(verified.claims["role"]?.stringValue == "customer")
    }

    @Test("forged, none, HS256 with the public key, foreign key, expired, early, wrong issuer or audience: 401")
    func refusals() async throws {
        let good = identity.sign(claims: claims())
        var forged = Array(good)
        let index = forged.lastIndex(of: ".")! + 5
        forged[index] = forged[index] == "A" ? "B" : "A"
        #expect(await rejection(String(forged))?.contains("signature is not valid") == true)

        let parts = good.split(separator: ".")
        let noneHeader = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        #expect(await rejection("\(noneHeader).\(parts[1]).")?.contains("alg none is not accepted") == true)

        // The classic confusion: HMAC keyed with the verifier's public key.
        let hsHeader = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT","kid":"\#(identity.keyID)"}"#.utf8))
        let input = "\(hsHeader).\(parts[1])"
        let publicKey = SymmetricKey(data: Array(identity.publicKey.json.serialized()))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: publicKey)
        #expect(await rejection("\(input).\(Base64URL.encode(Array(mac)))")?.contains("HS256 is not accepted") == true)

        let stranger = DevelopmentIdentity(key: P256.Signing.PrivateKey())
        #expect(await rejection(stranger.sign(claims: claims()))?.contains("no signing key") == true)
        let sameKid = stranger.sign(claims: claims(), header: ["kid": .string(identity.keyID)])
        #expect(await rejection(sameKid)?.contains("signature is not valid") == true)

        let now = Timestamp.now().millisecondsSinceEpoch / 1000
        #expect(
            await rejection(identity.sign(claims: claims(["exp": .number(String(now - 120))])))?.contains("expired")
                == true)
        #expect(
            await rejection(identity.sign(claims: claims(["exp": .number(String(now - 30))]))) == nil,
            "within the clock skew")
        #expect(
            await rejection(identity.sign(claims: claims(["nbf": .number(String(now + 300))])))?.contains(
                "not valid before") == true)
        #expect(await rejection(identity.sign(claims: claims(drop: ["exp"]))) == "the token has no exp")
        #expect(
            await rejection(identity.sign(claims: claims(["iss": .string("https://evil.example")])))?.contains(
                "issuer") == true)
        #expect(
            await rejection(identity.sign(claims: claims(["aud": .string("someone-else")])))?.contains("audience")
                == true)
        #expect(
            await rejection(identity.sign(claims: claims(["aud": .null, "client_id": .string("smartpay")]))) == nil,
            "Cognito access tokens carry client_id instead of aud")
        #expect(
            await rejection(identity.sign(claims: claims(["token_use": .string("refresh")])))?.contains("token_use")
                == true)
        #expect(await rejection("not-a-token")?.contains("compact serialization") == true)
    }

    @Test("RS256 against an RSA key from a JWKS document; the alg must match the key")
    func rs256() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let jwk = JSONWebKey(id: "rsa-1", material: .rsa(key.publicKey))
        let set = try JSONWebKeySet(bytes: JSONWebKeySet(keys: [jwk]).json.serialized())
        let verifier = JWTVerifier(
            issuer: DevelopmentIdentity.issuer, audiences: ["smartpay"], keys: StaticJWKS(set))
        let header = Base64URL.encode(Array(#"{"alg":"RS256","typ":"JWT","kid":"rsa-1"}"#.utf8))
        let payload = Base64URL.encode(claims().serialized())
        let input = "\(header).\(payload)"
        let signature = try key.signature(for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5)
        let token = "\(input).\(Base64URL.encode(Array(signature.rawRepresentation)))"
        #expect(try await verifier.verify(token).subject == "c_7")

        let lying = Base64URL.encode(Array(#"{"alg":"ES256","typ":"JWT","kid":"rsa-1"}"#.utf8))
        do {
            _ = try await verifier.verify("\(lying).\(payload).\(Base64URL.encode(Array(signature.rawRepresentation)))")
            Issue.record("an ES256 header over an RSA key was accepted")
        } catch {
            #expect(error.message.contains("does not match its key"))
        }
    }

    /// `text` with its last character's lowest bit flipped: for a length of 4n + 2 or 4n + 3 that bit is unused.
    static func unusedBitSet(_ text: some StringProtocol) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let value = alphabet.firstIndex(of: String(text).last!)!
        return String(text.dropLast()) + String(alphabet[value ^ 1])
    }

    @Test("a signature or header spelled other than canonically (unused bits set, padding) is refused")
    func canonicalSignature() async throws {
        let good = identity.sign(claims: claims())
        #expect(await rejection(good) == nil)
        let parts = good.split(separator: ".")
        // 64 bytes of r || s are 86 characters; the last carries 2 bits of s and 4 unused ones.
        #expect(parts[2].utf8.count == 86)
        let respelled = "\(parts[0]).\(parts[1]).\(Self.unusedBitSet(parts[2]))"
        #expect(await rejection(respelled)?.contains("signature is missing or not base64url") == true)
        #expect(await rejection(good + "==")?.contains("signature is missing or not base64url") == true)
        let padding = String(repeating: "=", count: (4 - parts[0].utf8.count % 4) % 4)
        #expect(!padding.isEmpty)
        #expect(
            await rejection("\(parts[0])\(padding).\(parts[1]).\(parts[2])")?.contains("header is not base64url")
                == true)
    }

    @Test("JWKS key material must be canonical base64url")
    func canonicalKeyMaterial() throws {
        guard case .object(var key) = identity.publicKey.json, let x = key["x"]?.stringValue else {
            Issue.record("the development key has no x")
            return
        }
        func set(_ key: [String: JSONValue]) throws(AuthConfigurationError) -> JSONWebKeySet {
            try JSONWebKeySet(bytes: JSONValue.object(["keys": .array([.object(key)])]).serialized())
        }
        #expect(try set(key).keys.count == 1)
        // 32 bytes are 43 characters; the last carries 4 bits and 2 unused ones.
        key["x"] = .string(Self.unusedBitSet(x))
        do {
            _ = try set(key)
            Issue.record("a key whose x has unused bits set was accepted")
        } catch {
            #expect(error.description.contains("x is missing or not base64url"), "\(error)")
        }
    }
}

@Suite("Identity and limits at the API, through smartpay serve", .serialized)
struct GatewayAuthTests {
    static let body = #"{"amount": 1000, "currency": "USD", "parts_bps": [5000, 5000], "echo_identity": true}"#

    func invocations(_ platform: ServedPlatform) async throws -> Int {
        let metrics = try await platform.http.execute(HTTPClientRequest(url: platform.api + "/metrics"))
        let line = String(decoding: metrics.body, as: UTF8.self).split(separator: "\n").first {
            $0.hasPrefix("smartpay_invocations_total{function=\"split\"}")
        }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test("tokens: 401 without or with a bad one, 403 without the scope, and none of them invokes; claims arrive")
    func tokens() async throws {
        let platform = try await ServedPlatform(template: "auth-template.yaml")
        let missing = try await platform.post("/split", Self.body)
        #expect(missing.status == 401)
        #expect((json(missing)["error"] as? String)?.contains("no bearer token") == true)
        let garbage = try await platform.post(
            "/split", Self.body,
            headers: [("Content-Type", "application/json"), ("Authorization", "Bearer abc.def.ghi")])
        #expect(garbage.status == 401)
        let reader = try await platform.token(["--sub", "c_7", "--role", "customer", "--scopes", "payments:read"])
        let forbidden = try await platform.post(
            "/split", Self.body, headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(reader)")])
        #expect(forbidden.status == 403)
        #expect((json(forbidden)["error"] as? String)?.contains("payments:write") == true)
        #expect(try await invocations(platform) == 0, "no refused request reached the function")

        let writer = try await platform.token([
            "--sub", "c_7", "--role", "customer", "--scopes", "payments:read,payments:write",
        ])
        let ok = try await platform.post(
            "/split", Self.body, headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(writer)")])
        #expect(ok.status == 200)
        let identity = json(ok)["identity"] as? [String: String]
        #expect(identity?["kind"] == "token")
        #expect(identity?["customer_id"] == "c_7")
        #expect(json(ok)["scopes"] as? [String] == ["payments:read", "payments:write"])
        let claims = json(ok)["claims"] as? [String: String]
        #expect(claims?["iss"] == "https://auth.smartpay.local")
        #expect(claims?["role"] == "customer")
        #expect(claims?["exp"].flatMap(Int.init) != nil, "claims are strings, as API Gateway sends them")

        let open = try await platform.post("/open/split", Self.body)
        #expect(open.status == 200, "Authorizer: NONE")
        #expect(json(open)["identity"] == nil)
        let read = try await platform.http.execute(
            HTTPClientRequest(url: platform.api + "/split/abc", headers: [("Authorization", "Bearer \(reader)")]))
        #expect(read.status != 401 && read.status != 403, "the default authorizer, no scopes: any valid token")
        let admin = try await platform.post(
            "/admin/split", Self.body,
            headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(writer)")])
        #expect(admin.status == 403)

        let jwks = try await platform.http.execute(HTTPClientRequest(url: platform.api + "/.well-known/jwks.json"))
        let keys = (json(jwks)["keys"] as? [[String: Any]]) ?? []
        #expect(keys.first?["kty"] as? String == "EC" && keys.first?["d"] == nil, "public only")
        #expect(try await platform.stop() == 0)
    }

    @Test("merchant API keys: create, use, revoke; only an HMAC of the key is in Redis")
    func apiKeys() async throws {
        let platform = try await ServedPlatform(template: "auth-template.yaml")
        let smartpay = try Executables.built("smartpay")
        let created = try await ProcessRunner.run(
            smartpay,
            arguments: [
                "keys", "create", "--merchant", "m_42", "--scopes", "payments:write,payments:read", "--state-dir",
                platform.state.path,
            ])
        #expect(created.status == 0, "\(created.stderrText)")
        let key = created.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("spk_"))

        for headers in [[("X-Api-Key", key)], [("Authorization", "Bearer \(key)")]] {
            let ok = try await platform.post(
                "/split", Self.body, headers: [("Content-Type", "application/json")] + headers)
            #expect(ok.status == 200)
            let identity = json(ok)["identity"] as? [String: String]
            #expect(identity?["kind"] == "api_key")
            #expect(identity?["merchant_id"] == "m_42")
        }

        // No plaintext key anywhere in Redis: every key and every value.
        let url = try #require(RuntimeState.read(from: platform.state.path)?.redisURL)
        let redis = try RedisClient(url: url)
        let names = try await redis.send("KEYS", "*").array?.compactMap(\.string) ?? []
        #expect(!names.isEmpty)
        let secret = String(key.dropFirst(APIKeyStore.prefix.count + "local_".count))
        for name in names {
            #expect(!name.contains(secret))
            let dump = try await redis.send("DUMP", name).bytes ?? []
            #expect(!String(decoding: dump, as: UTF8.self).contains(secret), "\(name) holds the key")
        }

        let listed = try await ProcessRunner.run(
            smartpay, arguments: ["keys", "list", "--json", "--state-dir", platform.state.path])
        let records = (try? JSONSerialization.jsonObject(with: listed.stdout) as? [[String: Any]]) ?? []
        #expect(records.count == 1)
        #expect(!listed.stdoutText.contains(secret))
        let id = try #require(records.first?["id"] as? String)
        let revoked = try await ProcessRunner.run(
            smartpay, arguments: ["keys", "revoke", id, "--state-dir", platform.state.path])
        #expect(revoked.status == 0, "\(revoked.stderrText)")
        let after = try await platform.post(
            "/split", Self.body, headers: [("Content-Type", "application/json"), ("X-Api-Key", key)])
        #expect(after.status == 401)
        #expect(try await platform.stop() == 0)
    }

    /// Sends `count` requests from `clients` concurrent clients, alternating between `bases`; returns the statuses.
    func burst(_ platform: ServedPlatform, bases: [String], token: String, count: Int, clients: Int) async throws
        -> [HTTPClientResponse]
    {
        try await withThrowingTaskGroup(of: [HTTPClientResponse].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var responses: [HTTPClientResponse] = []
                    var index = client
                    while index < count {
                        responses.append(
                            try await platform.post(
                                "/split", Self.body, base: bases[index % bases.count],
                                headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(token)")]))
                        index += clients
                    }
                    return responses
                }
            }
            var all: [HTTPClientResponse] = []
            for try await part in group { all += part }
            return all
        }
    }

    @Test("rate limits hold within 5 % under 16 concurrent clients, across two runtime processes sharing Redis")
    func rateLimits() async throws {
        let limit = 60
        let arguments = ["--rate-limit-writes", "\(limit)/h", "--max-concurrency", "4"]
        let first = try await ServedPlatform(arguments: arguments, template: "auth-template.yaml")
        let url = try #require(RuntimeState.read(from: first.state.path)?.redisURL)
        let second = try await ServedPlatform(
            arguments: arguments + ["--redis-url", url], template: "auth-template.yaml", state: first.state)
        let writer = try await first.token(["--sub", "m_42", "--role", "merchant", "--scopes", "payments:write"])

        let responses = try await burst(
            first, bases: [first.api, second.api], token: writer, count: 2 * limit, clients: 16)
        let admitted = responses.filter { $0.status == 200 }.count
        let refused = responses.filter { $0.status == 429 }
        #expect(admitted + refused.count == 2 * limit, "\(Set(responses.map(\.status)))")
        #expect(abs(admitted - limit) <= limit / 20, "admitted \(admitted) of a limit of \(limit)")
        let header = { (response: HTTPClientResponse, name: String) in
            response.headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
        let sample = try #require(refused.first)
        #expect(header(sample, "Retry-After").flatMap(Int.init).map { $0 >= 1 } == true)
        #expect(header(sample, "RateLimit-Limit") == String(limit))
        #expect(header(sample, "RateLimit-Remaining") == "0")
        #expect(header(sample, "RateLimit-Reset").flatMap(Int.init) != nil)
        #expect((json(sample)["error"] as? String)?.contains("\(limit)/h per caller for writes") == true)

        // Another caller has a bucket of its own.
        let other = try await first.token(["--sub", "m_43", "--role", "merchant", "--scopes", "payments:write"])
        let fresh = try await first.post(
            "/split", Self.body, headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(other)")])
        #expect(fresh.status == 200)
        #expect(header(fresh, "RateLimit-Remaining") == String(limit - 1))
        second.process.signal(SIGTERM)
        _ = try await second.process.wait(timeout: .seconds(30))
        #expect(try await first.stop() == 0)
    }

    @Test("per-IP limit, and the request limits: headers 431, content type 415, JSON depth 400, body 413")
    func requestLimits() async throws {
        let platform = try await ServedPlatform(
            arguments: ["--rate-limit-ip", "5/m", "--max-body-bytes", "2000", "--max-header-bytes", "4096"],
            template: "auth-template.yaml")
        let headers = [("Content-Type", "application/json"), ("X-Padding", String(repeating: "a", count: 5000))]
        let tooManyHeaders = try await platform.post("/open/split", Self.body, headers: headers)
        #expect(tooManyHeaders.status == 431)
        #expect((json(tooManyHeaders)["error"] as? String)?.contains("limit is 4096") == true)
        let text = try await platform.post("/open/split", Self.body, headers: [("Content-Type", "text/plain")])
        #expect(text.status == 415)
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        let nested = try await platform.post("/open/split", #"{"amount": 1, "x": \#(deep)}"#)
        #expect(nested.status == 400)
        #expect((json(nested)["error"] as? String)?.contains("deeper than 32") == true)
        let big = try await platform.post("/open/split", String(repeating: " ", count: 3000))
        #expect(big.status == 413)
        #expect(try await invocations(platform) == 0)

        var statuses: [Int] = []
        for _ in 0..<7 { statuses.append(try await platform.post("/open/split", Self.body).status) }
        #expect(statuses.filter { $0 == 200 }.count == 5, "\(statuses)")
        #expect(statuses.suffix(2) == [429, 429])
        #expect(try await platform.stop() == 0)
    }
}
