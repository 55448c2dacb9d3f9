import Foundation
import SmartPayCore
import SmartPayHTTP
import SmartPayInvoke

/// What became of one message for one connection.
public enum PostOutcome: Sendable, Equatable {
    case delivered
    /// 410 `GoneException`: the connection is closed; its subscriptions are removed.
    case gone
    case failed(String)
}

/// Sends data to WebSocket connections: API Gateway's management API, or a double in tests.
public protocol ConnectionPoster: Sendable {
    /// Sends `data` to each connection, at most `parallelism` at once; one outcome per id.
    func post(_ data: [UInt8], to connectionIDs: [String]) async -> [String: PostOutcome]
}

/// `POST {endpoint}/@connections/{id}` for each connection — API Gateway's PostToConnection, SigV4-signed for
/// `execute-api` when AWS credentials are in the environment — many at once, in batches.
///
/// Where the endpoint also takes a whole batch in one request (`smartpay serve`'s, told by
/// `WEBSOCKET_BATCH_POST=on`), a batch is one `POST {endpoint}/@connections` with `{"connectionIds": […],
/// "data": "…"}` answering which ids are gone; API Gateway has no such call, so against AWS it stays off.
public struct ManagementAPIPoster: ConnectionPoster {
    public let endpoint: String
    public let region: String
    public let credentials: AWSCredentials?
    public let http: HTTPClient
    public let parallelism: Int
    public let batchSize: Int
    public let batchRequests: Bool
    /// `https://host` and the endpoint's own path (API Gateway's stage: `…amazonaws.com/{stage}`), split once.
    private let origin: String
    private let basePath: String

    public init(
        endpoint: String, region: String, credentials: AWSCredentials?, http: HTTPClient, parallelism: Int = 32,
        batchSize: Int = 500, batchRequests: Bool = false
    ) {
        let endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.endpoint = endpoint
        let afterScheme = endpoint.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: true)
        basePath = afterScheme.count > 2 ? "/" + afterScheme[2] : ""
        origin = String(endpoint.dropLast(basePath.count))
        self.region = region
        self.credentials = credentials
        self.http = http
        self.parallelism = max(1, parallelism)
        self.batchSize = max(1, batchSize)
        self.batchRequests = batchRequests
    }

    public func post(_ data: [UInt8], to connectionIDs: [String]) async -> [String: PostOutcome] {
        var outcomes: [String: PostOutcome] = [:]
        var batches: [ArraySlice<String>] = []
        var start = 0
        while start < connectionIDs.count {
            batches.append(connectionIDs[start..<min(start + batchSize, connectionIDs.count)])
            start += batchSize
        }
        if batchRequests {
            // Batches go out side by side, each as one request.
            await withTaskGroup(of: [String: PostOutcome].self) { group in
                for batch in batches { group.addTask { await postBatch(data, to: Array(batch)) } }
                for await result in group { outcomes.merge(result) { $1 } }
            }
            return outcomes
        }
        // One request per connection, `parallelism` in flight.
        for batch in batches {
            await withTaskGroup(of: (String, PostOutcome).self) { group in
                var pending = batch.makeIterator()
                for _ in 0..<parallelism {
                    guard let id = pending.next() else { break }
                    group.addTask { (id, await postOne(data, to: id)) }
                }
                for await (id, outcome) in group {
                    outcomes[id] = outcome
                    if let next = pending.next() { group.addTask { (next, await postOne(data, to: next)) } }
                }
            }
        }
        return outcomes
    }

    func postOne(_ data: [UInt8], to id: String) async -> PostOutcome {
        let path = basePath + "/@connections/" + PercentEncoding.encode(id)
        switch await send(path: path, body: data, contentType: "application/octet-stream") {
        case .success(let response) where (200..<300).contains(response.status): return .delivered
        case .success(let response) where response.status == 410: return .gone
        case .success(let response): return .failed("HTTP \(response.status): \(response.bodyText.prefix(200))")
        case .failure(let error): return .failed(error.description)
        }
    }

    func postBatch(_ data: [UInt8], to ids: [String]) async -> [String: PostOutcome] {
        let text = String(validating: data, as: UTF8.self)
        var request: [String: JSONValue] = ["connectionIds": .array(ids.map { .string($0) })]
        if let text {
            request["data"] = .string(text)
        } else {
            request["dataBase64"] = .string(Data(data).base64EncodedString())
        }
        let failedAll = { (why: String) in Dictionary(uniqueKeysWithValues: ids.map { ($0, PostOutcome.failed(why)) }) }
        switch await send(
            path: basePath + "/@connections", body: JSONValue.object(request).serialized(),
            contentType: "application/json")
        {
        case .success(let response) where response.status == 200:
            guard let answer = try? JSONParser().parse(response.body), case .array(let goneIDs)? = answer["gone"] else {
                return failedAll("the batch answer is not {\"gone\": [...]}")
            }
            var outcomes = Dictionary(uniqueKeysWithValues: ids.map { ($0, PostOutcome.delivered) })
            for id in goneIDs.compactMap(\.stringValue) where outcomes[id] != nil { outcomes[id] = .gone }
            return outcomes
        case .success(let response): return failedAll("HTTP \(response.status): \(response.bodyText.prefix(200))")
        case .failure(let error): return failedAll(error.description)
        }
    }

    private func send(path: String, body: [UInt8], contentType: String) async -> Result<
        HTTPClientResponse, HTTPClientError
    > {
        var headers: [(String, String)] = [("Host", LambdaInvoker.host(of: endpoint)), ("Content-Type", contentType)]
        if let credentials {
            headers += SigV4.sign(
                method: "POST", path: path, headers: headers, body: body, credentials: credentials, region: region,
                service: "execute-api")
        }
        do {
            return .success(
                try await http.execute(
                    HTTPClientRequest(
                        method: "POST", url: origin + path, headers: headers.map { (name: $0.0, value: $0.1) },
                        body: body, timeout: .seconds(3))))
        } catch {
            return .failure(error)
        }
    }
}
