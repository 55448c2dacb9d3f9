import FunctionKit
import SmartPayCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `route --stdio`: the router's decide and feedback over JSON lines, one answer line per request, for simulators
/// and benchmarks. The same `Router` the function uses, with its state in the process.
///
///     {"op":"decide","id":"d1","context":{…},"gateways":["stripe","amazon_pay","solana"]}
///       → {"id":"d1","gateway":"stripe","propensity":0.93,"fallbacks":["amazon_pay"],"explored":false}
///     {"op":"feedback","id":"d1","gateway":"stripe","authorized":true,"processor_error":false,"latency_ms":420}
///       → {"id":"d1","ok":true}
///
/// A malformed line gets `{"id":…,"error":{"field":…,"message":…}}` and the loop goes on.
public enum RouteStdio {
    public static func run(router: Router = Router()) -> Never {
        var input = LineReader(descriptor: 0)
        var output: [UInt8] = []
        output.reserveCapacity(1 << 16)
        while let line = input.next() {
            if line.isEmpty { continue }
            let answer = handle(line, router: router)
            output.append(contentsOf: answer.serialized())
            output.append(0x0A)
            // Answer at once when no more input is buffered (a lock-step caller waits for each line).
            if !input.hasBufferedLine {
                flush(&output)
            }
        }
        flush(&output)
        exit(0)
    }

    /// One request line → one answer.
    public static func handle(_ line: [UInt8], router: Router) -> JSONValue {
        let request: JSONValue
        do {
            request = try JSONParser(maximumDepth: 16).parse(line)
        } catch {
            return failure(id: nil, FunctionError(.invalidRequest, error.description))
        }
        let id = request["id"]?.stringValue
        guard let id, !id.isEmpty else {
            return failure(id: nil, FunctionError.validation("id", "is required (a string naming the decision)"))
        }
        do {
            switch request["op"]?.stringValue {
            case "decide":
                let context = try RouteContext(json: request["context"] ?? .null)
                let candidates = try EventFields(request, what: "the request").strings("gateways")
                let decision = try router.decide(id: id, context: context, candidates: candidates)
                var scores: [String: JSONValue] = [:]
                for (name, score) in decision.scores { scores[name] = .number(String(score)) }
                return .object([
                    "id": .string(id), "gateway": .string(decision.gateway),
                    "propensity": .number(String(decision.propensity)),
                    "fallbacks": .array(decision.fallbacks.map(JSONValue.string)), "explored": .bool(decision.explored),
                    "scores": .object(scores),
                ])
            case "feedback":
                let outcome = try RouteOutcome(json: request, catalog: router.catalog)
                let known = router.feedback(id: id, outcome: outcome)
                return .object(["id": .string(id), "ok": .bool(true), "known": .bool(known)])
            default:
                throw FunctionError.validation("op", "expected decide or feedback")
            }
        } catch {
            return failure(id: id, FunctionError(wrapping: error))
        }
    }

    static func failure(id: String?, _ error: FunctionError) -> JSONValue {
        var body: [String: JSONValue] = ["message": .string(error.message), "type": .string(error.code.description)]
        if let field = error.field { body["field"] = .string(field) }
        return .object(["id": id.map(JSONValue.string) ?? .null, "error": .object(body)])
    }

    static func flush(_ output: inout [UInt8]) {
        var offset = 0
        output.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let written = write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    exit(1)
                }
                offset += written
            }
        }
        output.removeAll(keepingCapacity: true)
    }
}

/// Lines from a file descriptor, buffered.
struct LineReader {
    let descriptor: Int32
    var buffer: [UInt8] = []
    var start = 0
    var finished = false

    init(descriptor: Int32) { self.descriptor = descriptor }

    var hasBufferedLine: Bool { buffer[start...].contains(0x0A) }

    mutating func next() -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                return line
            }
            if finished {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                return line
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                finished = true
            } else if count == 0 {
                finished = true
            } else {
                buffer.append(contentsOf: chunk[0..<count])
            }
        }
    }
}
