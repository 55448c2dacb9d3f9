import ArgumentParser
import Foundation
import SmartPayRuntime
import SmartPayTemplate

/// `smartpay logs [FUNCTION] [-f]`: the functions' log lines a `smartpay serve` keeps under `{state}/logs`.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show the functions' log lines that smartpay serve keeps under .smartpay/logs.",
        discussion: "Every function's lines ordered by time, or one function's; -f keeps printing new ones.")

    @Argument(help: "A function's name in the template (default: every function).")
    var function: String?

    @Flag(name: [.short, .long], help: "Keep printing lines as they are written, until interrupted.")
    var follow = false

    @Option(help: "The state directory of the smartpay serve whose logs to show.")
    var stateDir = ".smartpay"

    @Option(help: "The deployment template, to check the function's name.")
    var template = "infra/template.yaml"

    func run() async throws {
        let logs = FunctionLogs(stateDirectory: stateDir)
        if let function, !logs.functions.contains(function) {
            let known = (try? TemplateLoader.load(template))?.functions.keys.sorted() ?? []
            guard known.contains(function) else {
                let there = logs.functions.isEmpty ? "none yet" : logs.functions.joined(separator: ", ")
                fail(
                    usage:
                        "smartpay logs: no function \"\(function)\" in \(template) and no logs of it in \(logs.directory.path) (logs of: \(there))"
                )
            }
        }
        let lines = logs.lines(of: function)
        FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8))
        guard follow else { return }
        var offsets: [String: Int] = [:]
        for file in logs.files(of: function) { offsets[file.path] = Self.size(of: file) }
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(200))
            for file in logs.files(of: function) {
                let known = offsets[file.path] ?? 0
                guard let handle = try? FileHandle(forReadingFrom: file) else { continue }
                defer { try? handle.close() }
                try? handle.seek(toOffset: UInt64(known))
                let data = handle.readDataToEndOfFile()
                // Only whole lines: a line still being written waits for its newline.
                guard let last = data.lastIndex(of: 0x0A) else { continue }
                FileHandle.standardOutput.write(data[...last])
                offsets[file.path] = known + data.distance(from: data.startIndex, to: last) + 1
            }
        }
    }

    private static func size(of file: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? Int) ?? 0
    }
}
