import Foundation

/// Where function processes write their output when the runtime keeps it in files (`smartpay serve`): one file per
/// process and stream, `{directory}/{function}/{started}-{serial}.log` (stderr, the JSON log lines) beside
/// `….stdout.log`, so a terminal shows only what its user runs and `smartpay logs` shows the rest.
public struct FunctionLogs: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// The runtime's state directory's: `{state}/logs`.
    public init(stateDirectory: String) {
        self.init(directory: URL(fileURLWithPath: stateDirectory).appendingPathComponent("logs"))
    }

    /// Forgets the logs of an earlier run.
    public func clear() { try? FileManager.default.removeItem(at: directory) }

    /// Fresh files for a new process of `function`: its stderr's and its stdout's.
    func files(for function: String, serial: Int) throws -> (stderr: String, stdout: String) {
        let folder = directory.appendingPathComponent(function)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let stem = folder.appendingPathComponent(
            "\(Int64(Date().timeIntervalSince1970 * 1000))-\(serial)-\(UUID().uuidString.prefix(8))"
        ).path
        return (stem + ".log", stem + ".stdout.log")
    }

    /// The functions that have logs.
    public var functions: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }
            .sorted()
    }

    /// Every log file of `function` (or of all), oldest first.
    public func files(of function: String?) -> [URL] {
        (function.map { [$0] } ?? functions).flatMap { name -> [URL] in
            let folder = directory.appendingPathComponent(name)
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return entries.filter { $0.hasSuffix(".log") }.sorted().map { folder.appendingPathComponent($0) }
        }
    }

    /// Every line of `function`'s logs (or of all functions'), ordered by their `time` (JSON log lines carry one;
    /// a line without keeps its place after the one before it).
    public func lines(of function: String?) -> [String] {
        var entries: [(time: String, order: Int, line: String)] = []
        for file in files(of: function) {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                let time = Self.time(of: line) ?? entries.last?.time ?? ""
                entries.append((time, entries.count, String(line)))
            }
        }
        return entries.sorted { ($0.time, $0.order) < ($1.time, $1.order) }.map(\.line)
    }

    /// The `"time":"…"` of a JSON log line.
    static func time(of line: Substring) -> String? {
        guard let range = line.range(of: #""time":""#) else { return nil }
        let rest = line[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
