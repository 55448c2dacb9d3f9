import Logging
import SmartPayCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The entry point of every function executable: `await FunctionMain.run(FraudHandler.self, name: "fraud")`.
///
/// With `AWS_LAMBDA_RUNTIME_API` set it serves the Runtime API loop (on the FaaS host and under `smartpay serve`);
/// otherwise it handles one event from a file, `-` or stdin:
/// - the response JSON goes to stdout and the exit status is 0;
/// - a failed invocation prints Lambda's error document to stdout and exits 1;
/// - a usage error (unreadable file, extra arguments) prints one line to stderr and exits 2.
/// Logs are JSON lines on stderr.
public enum FunctionMain {
    public static func run<Handler: FunctionHandler>(_ handler: Handler.Type, name: String) async -> Never {
        let configuration = FunctionConfiguration.fromEnvironment()
        let functionName = configuration["AWS_LAMBDA_FUNCTION_NAME"] ?? name
        let level =
            Logger.Level(
                rawValue: (configuration["LOG_LEVEL"] ?? configuration["AWS_LAMBDA_LOG_LEVEL"] ?? "info").lowercased())
            ?? .info
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        let logger = Logger(label: "smartpay.\(functionName)")
        let arguments = Array(CommandLine.arguments.dropFirst())

        if let endpoint = configuration["AWS_LAMBDA_RUNTIME_API"] {
            await serveRuntimeAPI(
                Handler.self, endpoint: endpoint, functionName: functionName, configuration: configuration,
                logger: logger)
        }
        if arguments.first == "-h" || arguments.first == "--help" {
            print("usage: \(name) [EVENT_FILE | -]   (the event on stdin when no file is given)")
            exit(0)
        }
        guard arguments.count <= 1 else {
            usageError("\(name): expected at most one event file, got \(arguments.count) arguments")
        }
        let payload: [UInt8]
        do {
            payload = try EventFile.read(arguments.first ?? "-")
        } catch {
            usageError("\(name): \(error)")
        }
        let timeoutSeconds = Int(configuration["SMARTPAY_TIMEOUT_SECONDS"] ?? "") ?? 60
        let host: FunctionHost<Handler>
        do {
            host = try await FunctionHost<Handler>(
                functionName: functionName, configuration: configuration, logger: logger)
        } catch {
            let failure = FunctionError(
                .internal, "initialisation failed: \(FunctionError(wrapping: error).message)", underlying: error)
            logger.error("initialisation failed", metadata: ["error": .string(String(describing: error))])
            writeOut(failure.errorDocument)
            exit(1)
        }
        let result = await host.invoke(payload: payload, metadata: .local(timeout: .seconds(timeoutSeconds)))
        writeOut(result.payload)
        if case .failure = result { exit(1) }
        exit(0)
    }

    private static func serveRuntimeAPI<Handler: FunctionHandler>(
        _ handler: Handler.Type, endpoint: String, functionName: String, configuration: FunctionConfiguration,
        logger: Logger
    ) async -> Never {
        let client: RuntimeAPIClient
        do {
            client = try RuntimeAPIClient(endpoint: endpoint)
        } catch {
            logger.error("cannot use the Runtime API", metadata: ["error": .string(String(describing: error))])
            exit(1)
        }
        let host: FunctionHost<Handler>
        do {
            host = try await FunctionHost<Handler>(
                functionName: functionName, configuration: configuration, logger: logger)
        } catch {
            let wrapped = FunctionError(wrapping: error)
            let failure = FunctionError(
                .internal,
                "initialisation failed: \(wrapped.code == .internal ? String(describing: error) : wrapped.message)")
            logger.error("initialisation failed", metadata: ["error": .string(failure.message)])
            do {
                try await client.failInitialization(failure)
            } catch {
                logger.error(
                    "cannot report the initialisation error", metadata: ["error": .string(String(describing: error))])
            }
            exit(1)
        }
        do {
            try await FunctionLoop(host: host, source: client).run()
            exit(0)
        } catch {
            logger.error("the Runtime API failed; exiting", metadata: ["error": .string(String(describing: error))])
            exit(1)
        }
    }

    private static func writeOut(_ bytes: [UInt8], to descriptor: Int32 = 1) {
        var output = bytes
        output.append(0x0A)
        output.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 {
                    if written < 0 && errno == EINTR { continue }
                    break
                }
                offset += written
            }
        }
    }

    private static func usageError(_ message: String) -> Never {
        writeOut(Array(message.utf8), to: 2)
        exit(2)
    }
}

/// Reads an event from a file, or from stdin for `-`.
enum EventFile {
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    static func read(_ path: String) throws(ReadError) -> [UInt8] {
        #if canImport(Glibc)
            let readBytes = Glibc.read
        #else
            let readBytes = Darwin.read
        #endif
        let descriptor: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw ReadError(description: "cannot read \"\(path)\": \(String(cString: strerror(errno)))")
        }
        defer { if descriptor != 0 { close(descriptor) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { readBytes(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(description: "cannot read \"\(path)\": \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }
}
