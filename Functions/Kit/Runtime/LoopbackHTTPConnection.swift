#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A minimal HTTP/1.1 client connection for the Lambda Runtime API: plain HTTP to a local endpoint, kept alive,
/// `Content-Length` or chunked bodies, blocking calls (run off the cooperative pool by the caller).
///
/// The harness uses this instead of the libcurl client so that a function that never calls out over HTTPS does
/// not load libcurl and its 30-odd shared libraries: measured here, that is 5.4 ms of every cold start.
///
/// `@unchecked Sendable`: used by one caller at a time (the invocation loop is sequential); `descriptor` never
/// leaves this class.
final class LoopbackHTTPConnection: @unchecked Sendable {
    struct Response {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            let wanted = name.lowercased()
            return headers.first { $0.name.lowercased() == wanted }?.value
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let host: String
    let port: Int
    private var descriptor: Int32 = -1
    private var buffer: [UInt8] = []
    private var bufferStart = 0

    /// - Parameter endpoint: `host:port`, as `AWS_LAMBDA_RUNTIME_API` gives it.
    init(endpoint: String) throws(Failure) {
        guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]),
            (1...65535).contains(port)
        else { throw Failure(description: "AWS_LAMBDA_RUNTIME_API must be host:port, got \"\(endpoint)\"") }
        self.host = String(endpoint[..<colon])
        self.port = port
    }

    deinit { disconnect() }

    /// Sends one request and reads its whole response. A kept-alive connection that turns out closed is reopened
    /// once before the request is written again (nothing of it reached the server).
    func exchange(method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = []) throws(Failure)
        -> Response
    {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        var bytes = Array(request.utf8)
        bytes.append(contentsOf: body)

        let reused = descriptor >= 0
        if reused && peerClosed() { disconnect() }
        if descriptor < 0 { try connect() }
        do {
            try write(bytes)
            return try readResponse()
        } catch {
            disconnect()
            guard reused, error.description.hasPrefix("closed") else { throw error }
            try connect()
            try write(bytes)
            return try readResponse()
        }
    }

    // MARK: - socket

    private func connect() throws(Failure) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &results)
        guard status == 0, let first = results else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(results) }
        var lastError: Int32 = 0
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let socketDescriptor = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if socketDescriptor >= 0 {
                if Glibc.connect(socketDescriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    var one: Int32 = 1
                    _ = setsockopt(
                        socketDescriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    descriptor = socketDescriptor
                    buffer.removeAll(keepingCapacity: true)
                    bufferStart = 0
                    return
                }
                lastError = errno
                close(socketDescriptor)
            } else {
                lastError = errno
            }
            candidate = info.pointee.ai_next
        }
        throw Failure(description: "cannot connect to \(host):\(port): \(String(cString: strerror(lastError)))")
    }

    private func disconnect() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        buffer.removeAll(keepingCapacity: true)
        bufferStart = 0
    }

    private func peerClosed() -> Bool {
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    }

    private func write(_ bytes: [UInt8]) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = errno == EPIPE || errno == ECONNRESET ? "closed" : "write failed"
                throw Failure(description: "\(reason): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Reads more bytes into the buffer; throws when the peer closed.
    private func fill() throws(Failure) {
        if bufferStart > 0 && bufferStart == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            bufferStart = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return
            }
            if count == 0 { throw Failure(description: "closed by \(host):\(port)") }
            if errno == EINTR { continue }
            throw Failure(description: "read failed: \(String(cString: strerror(errno)))")
        }
    }

    private func readLine() throws(Failure) -> String {
        while true {
            if let end = buffer[bufferStart...].firstIndex(of: 0x0A) {
                var line = buffer[bufferStart..<end]
                if line.last == 0x0D { line = line.dropLast() }
                bufferStart = end + 1
                return String(decoding: line, as: UTF8.self)
            }
            try fill()
        }
    }

    private func readBytes(_ count: Int) throws(Failure) -> [UInt8] {
        while buffer.count - bufferStart < count { try fill() }
        let bytes = Array(buffer[bufferStart..<(bufferStart + count)])
        bufferStart += count
        return bytes
    }

    private func readResponse() throws(Failure) -> Response {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw Failure(description: "malformed status line \"\(statusLine)\"")
        }
        var headers: [(name: String, value: String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else {
                throw Failure(description: "malformed header \"\(line)\"")
            }
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
            headers.append((String(line[..<colon]), String(value)))
        }
        var response = Response(status: status, headers: headers, body: [])
        if let length = response.header("Content-Length") {
            guard let count = Int(length), count >= 0 else {
                throw Failure(description: "bad Content-Length \"\(length)\"")
            }
            response.body = try readBytes(count)
        } else if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
                    throw Failure(description: "bad chunk size \"\(sizeLine)\"")
                }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    break
                }
                response.body.append(contentsOf: try readBytes(size))
                _ = try readLine()
            }
        } else if status != 204 && status != 304 {
            throw Failure(description: "response without Content-Length or chunked encoding")
        }
        if response.header("Connection")?.lowercased() == "close" { disconnect() }
        return response
    }
}
