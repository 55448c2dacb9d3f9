import Foundation

/// Finds executables and the repository's files for tests.
public enum Executables {
    /// The repository root (the folder with Package.swift).
    public static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("no Package.swift above \(#filePath)")
    }

    /// A product built by this package (debug or release, whichever the tests run from).
    public static func built(_ name: String) throws -> URL {
        let bundle = Bundle.main.bundleURL
        var candidates = [
            bundle.appendingPathComponent(name), bundle.deletingLastPathComponent().appendingPathComponent(name),
        ]
        candidates.append(repositoryRoot.appendingPathComponent(".build/debug/\(name)"))
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        throw TestSupportError("\(name) is not built (looked in \(candidates.map(\.path)))")
    }

    /// A program on PATH or in the usual system folders.
    public static func find(_ name: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
            let candidate = URL(fileURLWithPath: folder).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TestSupportError("\(name) not found on PATH: install it (the README's test command does)")
    }

    /// The bytes of a file under events/.
    public static func event(_ relativePath: String) throws -> Data {
        try Data(contentsOf: repositoryRoot.appendingPathComponent("events").appendingPathComponent(relativePath))
    }
}

/// Runs a program to completion with a bounded wait, capturing its output.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: Data
    public let stderr: Data

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

public enum ProcessRunner {
    /// Runs `executable` to its end (killed after `timeout`) and returns its status and output.
    public static func run(
        _ executable: URL, arguments: [String] = [], environment: [String: String] = [:], stdin: Data? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> ProcessResult {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "AWS_LAMBDA_RUNTIME_API")
        for (key, value) in environment { env[key] = value }
        var stdinPath: String?
        if let stdin {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                "smartpay-stdin-\(UUID().uuidString)"
            ).path
            try stdin.write(to: URL(fileURLWithPath: path))
            stdinPath = path
        }
        defer { if let stdinPath { try? FileManager.default.removeItem(atPath: stdinPath) } }
        let child = try ChildProcess(executable, arguments: arguments, environment: env, stdinPath: stdinPath)
        let status = try await child.wait(timeout: timeout)
        return ProcessResult(status: status, stdout: child.stdout, stderr: child.stderr)
    }
}
