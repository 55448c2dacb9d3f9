import Foundation
import Hummingbird
import SmartPayHTTP
import TestSupport
import Testing

@Suite("HTTP client against live local servers")
struct HTTPClientTests {
    static func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/hello") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain", .init("X-Greeting")!: "hi"],
                body: .init(byteBuffer: ByteBuffer(string: "hello")))
        }
        router.on("/echo", method: .post) { request, context in try await echo(request, context) }
        router.on("/echo", method: .put) { request, context in try await echo(request, context) }
        router.on("/echo", method: .delete) { request, context in try await echo(request, context) }
        router.on("/echo", method: .patch) { request, context in try await echo(request, context) }
        router.get("/status/:code") { _, context in
            let code = Int(context.parameters.get("code") ?? "") ?? 500
            return Response(
                status: .init(code: code), body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\(code)}")))
        }
        router.get("/slow") { _, _ in
            try await Task.sleep(for: .seconds(3))
            return "late"
        }
        router.get("/big") { _, _ in
            Response(
                status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: [UInt8](repeating: 0x61, count: 1_000_000))))
        }
        return router
    }

    static func echo(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 10_000_000)
        let header = request.headers.first { $0.name.canonicalName == "x-test" }?.value ?? ""
        let text = "\(request.method.rawValue) \(header) \(body.readableBytes) \(String(buffer: body).prefix(32))"
        return Response(status: .created, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Test("GET, and POST/PUT/PATCH/DELETE with headers and bodies")
    func methods() async throws {
        try await LiveHTTPServer.with(Self.router()) { port in
            let client = HTTPClient()
            let hello = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/hello"))
            #expect(hello.status == 200)
            #expect(hello.bodyText == "hello")
            #expect(hello.header("x-greeting") == "hi")
            for method in ["POST", "PUT", "PATCH", "DELETE"] {
                let response = try await client.execute(
                    HTTPClientRequest(
                        method: method, url: "http://127.0.0.1:\(port)/echo", headers: [("X-Test", "yes")],
                        body: Array("{\"amount\":100}".utf8)))
                #expect(response.status == 201)
                #expect(response.bodyText == "\(method) yes 14 {\"amount\":100}")
            }
            // A body over 1 KiB goes without waiting for 100 Continue.
            let large = [UInt8](repeating: 0x62, count: 200_000)
            let echoed = try await client.execute(
                HTTPClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/echo", body: large))
            #expect(echoed.bodyText.hasPrefix("POST  200000 bbbb"))
            let empty = try await client.execute(
                HTTPClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/echo"))
            #expect(empty.bodyText == "POST  0 ")
        }
    }

    @Test("every status comes back as a response, not an error")
    func statuses() async throws {
        try await LiveHTTPServer.with(Self.router()) { port in
            let client = HTTPClient()
            for code in [200, 202, 400, 404, 409, 429, 500, 503] {
                let response = try await client.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)/status/\(code)"))
                #expect(response.status == code)
                #expect(response.bodyText == "{\"status\":\(code)}")
            }
        }
    }

    @Test("connections are kept alive and reused")
    func reuse() async throws {
        try await LiveHTTPServer.with(Self.router()) { port in
            var configuration = HTTPClient.Configuration()
            configuration.maximumConcurrentRequests = 1
            let client = HTTPClient(configuration: configuration)
            let first = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/hello"))
            #expect(first.newConnections == 1)
            for _ in 0..<5 {
                let next = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/hello"))
                #expect(next.newConnections == 0)
            }
        }
    }

    @Test("timeouts, size limits and refused connections are typed errors")
    func failures() async throws {
        try await LiveHTTPServer.with(Self.router()) { port in
            let client = HTTPClient()
            let timeout = await #expect(throws: HTTPClientError.self) {
                try await client.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow", timeout: .milliseconds(300)))
            }
            #expect(timeout?.code == .timeout)
            var small = HTTPClient.Configuration()
            small.maximumResponseBytes = 1000
            let tooLarge = await #expect(throws: HTTPClientError.self) {
                try await HTTPClient(configuration: small).execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)/big"))
            }
            #expect(tooLarge?.code == .responseTooLarge)
            let big = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/big"))
            #expect(big.body.count == 1_000_000)
        }
        let closedPort = try FreePort.allocate()
        let error = await #expect(throws: HTTPClientError.self) {
            try await HTTPClient().execute(HTTPClientRequest(url: "http://127.0.0.1:\(closedPort)/"))
        }
        #expect(error?.code == .connectionFailed)
        await #expect(throws: HTTPClientError.self) {
            try await HTTPClient().execute(
                HTTPClientRequest(url: "http://127.0.0.1/", headers: [("X-Bad", "a\r\nInjected: 1")]))
        }
        await #expect(throws: HTTPClientError.self) {
            try await HTTPClient().execute(HTTPClientRequest(url: "ftp://127.0.0.1/"))
        }
    }

    @Test("TLS is verified by default: a self-signed server is refused unless its CA is trusted")
    func tlsVerification() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smartpay-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cert = folder.appendingPathComponent("cert.pem").path
        let key = folder.appendingPathComponent("key.pem").path
        let made = try await ProcessRunner.run(
            try Executables.find("openssl"),
            arguments: [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        try #require(made.status == 0, "openssl: \(made.stderrText)")
        let script = """
            import http.server, ssl, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200); self.send_header('content-length', '2'); self.end_headers(); self.wfile.write(b'ok')
                def log_message(self, *a): pass
            s = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H)
            c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[2], sys.argv[3])
            s.socket = c.wrap_socket(s.socket, server_side=True)
            print('ready', flush=True)
            s.serve_forever()
            """
        let port = try FreePort.allocate()
        let server = try ChildProcess(
            try Executables.find("python3"), arguments: ["-c", script, String(port), cert, key])
        defer { server.stop() }
        for _ in 0..<400 where !String(decoding: server.stdout, as: UTF8.self).contains("ready") {
            try await Task.sleep(for: .milliseconds(25))
        }
        let error = await #expect(throws: HTTPClientError.self) {
            try await HTTPClient().execute(HTTPClientRequest(url: "https://127.0.0.1:\(port)/"))
        }
        #expect(error?.code == .tls)
        var trusting = HTTPClient.Configuration()
        trusting.caBundlePath = cert
        let response = try await HTTPClient(configuration: trusting).execute(
            HTTPClientRequest(url: "https://127.0.0.1:\(port)/"))
        #expect(response.status == 200)
        #expect(response.bodyText == "ok")
    }
}
