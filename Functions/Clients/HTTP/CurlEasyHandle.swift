internal import CCurl

/// One libcurl easy handle: the only place that touches libcurl. Reused across requests so that its connection
/// cache keeps connections alive (curl_easy_reset keeps live connections).
///
/// `@unchecked Sendable`: a handle is used by one thread at a time — `HTTPClient` leases it exclusively.
final class CurlEasyHandle: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    init() throws(HTTPClientError) {
        guard Self.globalInit == CURLE_OK else {
            throw HTTPClientError(.transport, "curl_global_init failed: \(Self.describe(Self.globalInit))")
        }
        guard let handle = curl_easy_init() else { throw HTTPClientError(.transport, "curl_easy_init failed") }
        self.handle = handle
    }

    deinit { curl_easy_cleanup(handle) }

    struct Options {
        var connectTimeout: Duration
        var verifyTLS: Bool
        var caBundlePath: String?
        var maximumResponseBytes: Int
    }

    /// Performs one request, blocking the calling thread.
    func perform(_ request: HTTPClientRequest, timeout: Duration, options: Options) throws(HTTPClientError)
        -> HTTPClientResponse
    {
        curl_easy_reset(handle)
        let accumulator = ResponseAccumulator(limit: options.maximumResponseBytes)
        let unmanaged = Unmanaged.passRetained(accumulator)
        defer { unmanaged.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { if let headerList { curl_slist_free_all(headerList) } }

        try errorBuffer.withUnsafeMutableBufferPointer { (errors) throws(HTTPClientError) in
            errors[0] = 0
            try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errors.baseAddress!))
            try setConnection(url: request.url, timeout: timeout, options: options)
            let method = try setMethodAndBody(of: request)
            try setHeaders(of: request, list: &headerList)
            try setResponseCallbacks(into: unmanaged)

            let result = curl_easy_perform(handle)
            guard result == CURLE_OK else {
                let detail = String(cString: errors.baseAddress!)
                let message =
                    "\(method) \(Self.redactedURL(request.url)): \(detail.isEmpty ? Self.describe(result) : detail)"
                if accumulator.overflowed {
                    throw HTTPClientError(.responseTooLarge, "\(message) (over \(options.maximumResponseBytes) bytes)")
                }
                throw HTTPClientError(Self.code(for: result), message)
            }
        }
        var response = HTTPClientResponse(
            status: try info(CURLINFO_RESPONSE_CODE, "RESPONSE_CODE"), headers: accumulator.headers,
            body: accumulator.body)
        response.newConnections = try info(CURLINFO_NUM_CONNECTS, "NUM_CONNECTS")
        return response
    }

    private func setConnection(url: String, timeout: Duration, options: Options) throws(HTTPClientError) {
        try set(CURLOPT_URL, string: url)
        try set(CURLOPT_NOSIGNAL, long: 1)
        try set(CURLOPT_TCP_NODELAY, long: 1)
        try set(CURLOPT_CONNECTTIMEOUT_MS, long: Self.milliseconds(options.connectTimeout))
        try set(CURLOPT_TIMEOUT_MS, long: Self.milliseconds(timeout))
        try set(CURLOPT_SSL_VERIFYPEER, long: options.verifyTLS ? 1 : 0)
        try set(CURLOPT_SSL_VERIFYHOST, long: options.verifyTLS ? 2 : 0)
        if let caBundlePath = options.caBundlePath { try set(CURLOPT_CAINFO, string: caBundlePath) }
        try set(CURLOPT_PROTOCOLS_STR, string: "http,https")
    }

    /// - Returns: the method, upper-cased.
    private func setMethodAndBody(of request: HTTPClientRequest) throws(HTTPClientError) -> String {
        let method = request.method.uppercased()
        switch method {
        case "GET": try set(CURLOPT_HTTPGET, long: 1)
        case "HEAD": try set(CURLOPT_NOBODY, long: 1)
        case "POST": try set(CURLOPT_POST, long: 1)
        default: try set(CURLOPT_CUSTOMREQUEST, string: method)
        }
        if let body = request.body ?? (method == "POST" ? [] : nil) {
            try set(CURLOPT_POSTFIELDSIZE_LARGE, offset: curl_off_t(body.count))
            try body.withUnsafeBufferPointer { (bytes) throws(HTTPClientError) in
                // COPYPOSTFIELDS copies the bytes, so the buffer need not outlive this call.
                let pointer =
                    bytes.baseAddress.map { UnsafeRawPointer($0) }
                    ?? UnsafeRawPointer(("" as StaticString).utf8Start)
                try set(CURLOPT_COPYPOSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: pointer))
            }
        }
        return method
    }

    /// Builds the header list into `list`, which the caller frees once the request is done.
    private func setHeaders(
        of request: HTTPClientRequest, list: inout UnsafeMutablePointer<curl_slist>?
    ) throws(HTTPClientError) {
        // Without this curl waits for "100 Continue" before sending a body over 1 KiB.
        var fields = request.headers.map { "\($0.name): \($0.value)" }
        if !request.headers.contains(where: { $0.name.lowercased() == "expect" }) { fields.append("Expect:") }
        for field in fields {
            guard !field.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else {
                throw HTTPClientError(.invalidRequest, "a header contains a line break")
            }
            guard let appended = curl_slist_append(list, field) else {
                throw HTTPClientError(.transport, "curl_slist_append failed")
            }
            list = appended
        }
        try set(CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(list))
    }

    private func setResponseCallbacks(into unmanaged: Unmanaged<ResponseAccumulator>) throws(HTTPClientError) {
        try set(CURLOPT_WRITEFUNCTION) { data, size, count, context in
            ResponseAccumulator.unretained(context).appendBody(data, size * count)
        }
        try set(CURLOPT_WRITEDATA, pointer: unmanaged.toOpaque())
        try set(CURLOPT_HEADERFUNCTION) { data, size, count, context in
            ResponseAccumulator.unretained(context).appendHeader(data, size * count)
        }
        try set(CURLOPT_HEADERDATA, pointer: unmanaged.toOpaque())
    }

    /// A number libcurl keeps about the last transfer, `name` being the info's name in an error.
    private func info(_ key: CURLINFO, _ name: String) throws(HTTPClientError) -> Int {
        var value = 0
        let result = smartpay_curl_getinfo_long(handle, key, &value)
        guard result == CURLE_OK else {
            throw HTTPClientError(.transport, "curl_easy_getinfo(\(name)): \(Self.describe(result))")
        }
        return value
    }

    // MARK: - typed setters: every return code is checked

    private func set(_ option: CURLoption, long value: Int) throws(HTTPClientError) {
        try check(smartpay_curl_setopt_long(handle, option, value), option)
    }

    private func set(_ option: CURLoption, offset value: curl_off_t) throws(HTTPClientError) {
        try check(smartpay_curl_setopt_off(handle, option, value), option)
    }

    private func set(_ option: CURLoption, string value: String) throws(HTTPClientError) {
        // libcurl copies string options (since 7.17), so the temporary C string may go.
        try check(smartpay_curl_setopt_str(handle, option, value), option)
    }

    private func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws(HTTPClientError) {
        try check(smartpay_curl_setopt_ptr(handle, option, value), option)
    }

    private func set(_ option: CURLoption, callback: smartpay_curl_data_callback) throws(HTTPClientError) {
        try check(smartpay_curl_setopt_callback(handle, option, callback), option)
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            throw HTTPClientError(.invalidRequest, "curl_easy_setopt(\(option.rawValue)): \(Self.describe(code))")
        }
    }

    private static func describe(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }

    private static func code(for result: CURLcode) -> HTTPClientError.Code {
        switch result {
        case CURLE_OPERATION_TIMEDOUT: .timeout
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT: .connectionFailed
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE:
            .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: .invalidRequest
        default: .transport
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    /// The URL without its query string, which may carry secrets.
    static func redactedURL(_ url: String) -> String {
        String(url.prefix { $0 != "?" })
    }
}

/// Collects one response's headers and body from libcurl's callbacks.
private final class ResponseAccumulator {
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    var overflowed = false
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// The accumulator a callback's context points to (the request keeps it retained).
    static func unretained(_ context: UnsafeMutableRawPointer?) -> ResponseAccumulator {
        Unmanaged<ResponseAccumulator>.fromOpaque(context!).takeUnretainedValue()
    }

    func appendBody(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data, count > 0 else { return 0 }
        guard body.count + count <= limit else {
            overflowed = true
            return 0
        }
        body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
        return count
    }

    func appendHeader(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data else { return 0 }
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new status line (after 100 Continue or a redirect) starts a new header block.
            headers.removeAll()
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingWhitespace()
            headers.append((name, value))
        }
        return count
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
