import Foundation
import SmartPayBus
import SmartPayCore
import Testing

@Suite("EventBridge pattern conformance against moto and AWS's documentation")
struct EventPatternConformanceTests {
    static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return url
    }

    @Test("every corpus case matches AWS's documented verdict (moto's, except the listed disagreements)")
    func corpus() throws {
        let python = Self.repositoryRoot.appendingPathComponent(".venv/bin/python")
        try #require(FileManager.default.isExecutableFile(atPath: python.path), "run make setup (.venv with moto)")
        let process = Process()
        process.executableURL = python
        process.arguments = [Self.repositoryRoot.appendingPathComponent("Tests/BusTests/pattern_corpus.py").path]
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(UUID().uuidString).json")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        process.standardOutput = try FileHandle(forWritingTo: output)
        try process.run()
        while process.isRunning { usleep(10_000) }
        try #require(process.terminationStatus == 0, "pattern_corpus.py failed")

        let cases = try #require(try JSONParser().parse(Array(Data(contentsOf: output))).arrayValue)
        #expect(cases.count >= 200)
        var disagreementsWithMoto = 0
        for item in cases {
            let id = item["id"]?.stringValue ?? "?"
            let pattern = try EventPattern(try #require(item["pattern"]))
            let ours = pattern.matches(try #require(item["event"]))
            let expected = item["expected"] == .bool(true)
            #expect(
                ours == expected,
                "case \(id): pattern \(item["pattern"]!.serializedString) → ours \(ours), AWS \(expected)")
            if item["moto"] != item["expected"] {
                disagreementsWithMoto += 1
                #expect(
                    item["note"]?.stringValue?.isEmpty == false,
                    "case \(id) departs from moto without a documented reason")
            }
        }
        print(
            "pattern conformance: \(cases.count) cases, \(disagreementsWithMoto) where moto departs from AWS's documentation"
        )
    }
}

extension JSONValue {
    fileprivate var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}
