import Crypto
import SmartPayCore

/// AWS credentials, from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`).
/// Never logged; `description` shows the key id only.
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// The credentials in `environment`, or nil when either key is missing or empty.
    public static func from(environment: [String: String]) -> AWSCredentials? {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
            let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else { return nil }
        return AWSCredentials(
            accessKeyID: id, secretAccessKey: secret,
            sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    }

    public var description: String { "AWSCredentials(\(accessKeyID), secret: ***)" }
}

/// AWS Signature Version 4 for a request: canonical request, string to sign, derived key, Authorization header.
public enum SigV4 {
    /// The headers to add to a request so that AWS accepts it: `X-Amz-Date`, `X-Amz-Security-Token` (with a
    /// session token) and `Authorization`.
    /// - Parameters:
    ///   - path: the request path as sent, already percent-encoded (it is encoded once more, as SigV4 wants for
    ///     every service but S3).
    ///   - headers: the headers to sign besides those added here; `Host` must be among them.
    public static func sign(
        method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], body: [UInt8],
        credentials: AWSCredentials, region: String, service: String, date: Timestamp = .now()
    ) -> [(String, String)] {
        let amzDate = Self.amzDate(date)
        let day = String(amzDate.prefix(8))
        var signed = headers
        signed.append(("X-Amz-Date", amzDate))
        if let token = credentials.sessionToken { signed.append(("X-Amz-Security-Token", token)) }

        let canonicalHeaders = Dictionary(
            signed.map { ($0.0.lowercased(), $0.1.split(whereSeparator: \.isWhitespace).joined(separator: " ")) },
            uniquingKeysWith: { "\($0),\($1)" })
        let names = canonicalHeaders.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let canonicalPath = path.split(separator: "/", omittingEmptySubsequences: false).map { uriEncode(String($0)) }
            .joined(separator: "/")
        let canonicalQuery = query.map { (uriEncode($0.0), uriEncode($0.1)) }.sorted { $0 < $1 }.map {
            "\($0.0)=\($0.1)"
        }.joined(separator: "&")
        let canonicalRequest = [
            method.uppercased(), canonicalPath.isEmpty ? "/" : canonicalPath, canonicalQuery,
            names.map { "\($0):\(canonicalHeaders[$0]!)\n" }.joined(), signedHeaders, hex(SHA256.hash(data: body)),
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, hex(SHA256.hash(data: Array(canonicalRequest.utf8)))]
            .joined(separator: "\n")

        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        let signature = hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        var added = [("X-Amz-Date", amzDate)]
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }
        added.append(
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
            ))
        return added
    }

    /// `20261122T101530Z`.
    static func amzDate(_ date: Timestamp) -> String { date.basicFormat }

    /// RFC 3986 percent-encoding of everything but the unreserved characters.
    static func uriEncode(_ text: String) -> String { PercentEncoding.encode(text) }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { Hex.encode(bytes) }
}
