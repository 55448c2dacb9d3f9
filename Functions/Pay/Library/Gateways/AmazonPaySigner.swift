import Crypto
import Foundation
import SmartPayCore
import _CryptoExtras

/// Amazon Pay API v2's request signature, as its "Signing requests" page documents it.
///
/// ```
/// CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n
///                    HexEncode(SHA256(payload))
/// StringToSign     = "AMZN-PAY-RSASSA-PSS-V2" \n HexEncode(SHA256(CanonicalRequest))
/// Signature        = Base64(RSASSA-PSS(SHA-256, MGF1-SHA-256, salt 32)(StringToSign))
/// Authorization: AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=…, SignedHeaders=…, Signature=…
/// ```
///
/// Canonical headers are `lowercase-name:trimmed value\n`, sorted by name; every `x-amz-pay-*` header, `accept` and
/// `content-type` are signed. The private key (PEM, RSA 2048) never leaves this struct and is never logged.
public struct AmazonPaySigner: Sendable {
    public static let algorithm = "AMZN-PAY-RSASSA-PSS-V2"

    public let publicKeyID: String
    private let key: _RSA.Signing.PrivateKey

    /// - Throws: `GatewayError.invalidRequest` naming what is wrong with the key (never its contents).
    public init(publicKeyID: String, privateKeyPEM: String) throws(GatewayError) {
        guard !publicKeyID.isEmpty else {
            throw GatewayError(.invalidRequest, gateway: "amazon_pay", message: "the public key id is empty")
        }
        self.publicKeyID = publicKeyID
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw GatewayError(
                .invalidRequest, gateway: "amazon_pay",
                message: "the private key is not an RSA private key in PEM of at least 2048 bits")
        }
    }

    /// The headers to add to a request: the signed `x-amz-pay-*` set and `Authorization`.
    /// - Parameters:
    ///   - headers: the request's headers that must be signed (`accept`, `content-type`, `x-amz-pay-*`).
    public func authorization(
        method: String, path: String, query: [(String, String)], headers: [(String, String)], body: [UInt8]
    ) throws(GatewayError) -> String {
        let (canonical, signedHeaders) = Self.canonicalRequest(
            method: method, path: path, query: query, headers: headers, body: body)
        let toSign = Self.stringToSign(canonical)
        let signature: _RSA.Signing.RSASignature
        do {
            signature = try key.signature(for: Array(toSign.utf8), padding: .PSS)
        } catch {
            throw GatewayError(.invalidRequest, gateway: "amazon_pay", message: "signing the request failed")
        }
        let encoded = Data(signature.rawRepresentation).base64EncodedString()
        return "\(Self.algorithm) PublicKeyId=\(publicKeyID), SignedHeaders=\(signedHeaders), Signature=\(encoded)"
    }

    /// The canonical request and the signed-header list.
    public static func canonicalRequest(
        method: String, path: String, query: [(String, String)], headers: [(String, String)], body: [UInt8]
    ) -> (String, String) {
        let encoded: [(name: String, value: String)] = query.map { pair in
            (name: PercentEncoding.encode(pair.0), value: PercentEncoding.encode(pair.1))
        }
        let sortedQuery = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        let canonicalQuery = sortedQuery.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
        let normalized: [(name: String, value: String)] = headers.map { pair in
            (name: pair.0.lowercased(), value: trimmed(pair.1))
        }
        let sortedHeaders = normalized.sorted { a, b in a.name < b.name }
        let canonicalHeaders = sortedHeaders.map { pair in pair.name + ":" + pair.value + "\n" }.joined()
        let signed = sortedHeaders.map(\.name).joined(separator: ";")
        let payloadHash = Hex.encode(SHA256.hash(data: body))
        let parts: [String] = [method.uppercased(), path, canonicalQuery, canonicalHeaders, signed, payloadHash]
        return (parts.joined(separator: "\n"), signed)
    }

    public static func stringToSign(_ canonicalRequest: String) -> String {
        algorithm + "\n" + Hex.encode(SHA256.hash(data: Array(canonicalRequest.utf8)))
    }

    /// Leading and trailing spaces removed and inner runs of spaces collapsed to one.
    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
