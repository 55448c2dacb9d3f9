import ArgumentParser
import Foundation
import FunctionKit
import Logging
import Metrics
import Prometheus
import SmartPayAuth
import SmartPayRuntime
import SmartPayTemplate

@main
struct SmartPayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smartpay",
        abstract: "SmartPay's local runtime: the whole platform on one machine.",
        subcommands: [
            Invoke.self, Serve.self, LogsCommand.self, EventsCommand.self, DLQCommand.self, TokenCommand.self,
            KeysCommand.self, LedgerCommand.self,
        ])
}

struct CommonOptions: ParsableArguments {
    @Option(help: "The deployment template.")
    var template = "infra/template.yaml"

    @Option(help: "Where the function executables are (default: beside smartpay).")
    var buildDir: String?

    var binaryDirectory: URL {
        if let buildDir { return URL(fileURLWithPath: buildDir) }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent()
    }
}

/// Metrics go to a Prometheus registry (chosen here, once); the text it renders is what `/metrics` answers.
func bootstrapMetrics() -> @Sendable () -> String {
    let registry = PrometheusCollectorRegistry()
    var factory = PrometheusMetricsFactory(registry: registry)
    factory.durationHistogramBuckets = ServeOptions.histogramBuckets
    MetricsSystem.bootstrap(factory)
    return {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

func bootstrapLogging() -> Logger {
    let level =
        Logger.Level(rawValue: (ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info").lowercased()) ?? .info
    LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
    return Logger(label: "smartpay.runtime")
}

extension SmartPayCommand {
    struct Invoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one function's real binary under the emulated Runtime API with one event.",
            discussion: """
                Prints the response (or Lambda's error document) on stdout and Lambda's REPORT line on stderr. \
                Exit 0 for a response, 1 for a failed invocation, 2 for a usage error. The function gets the \
                template's environment; with a smartpay serve running (its serve.json in --state-dir) its Redis, \
                AWS endpoint and sandboxes, otherwise what the function declares (Redis, the payment-gateway \
                sandboxes, its siblings behind a Lambda endpoint) is started for the call and stopped after.
                """
        )

        @Argument(help: "The function's name in the template.")
        var function: String

        @Option(name: [.short, .long], help: "The event file, or - for stdin (default: {}).")
        var event: String?

        @Option(help: "Timeout in seconds (default: the template's).")
        var timeout: Int?

        @Option(
            name: [.customShort("n"), .long],
            help: "Environment overrides, SAM's JSON: {\"Parameters\": {NAME: value}, \"FUNCTION\": {NAME: value}}.")
        var envVars: String?

        @Option(help: "Where a running smartpay serve left its serve.json.")
        var stateDir = ".smartpay"

        @Option(help: "Where the payment-gateway sandboxes' launchers are.")
        var sandboxDir = "infra/sandboxes"

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let payload: [UInt8]
            let template: Template
            var invocation: LocalInvocation
            do {
                payload = try readEvent(event)
                template = try TemplateLoader.load(common.template)
                invocation = LocalInvocation(
                    template: template, binaryDirectory: common.binaryDirectory,
                    logger: Logger(label: "smartpay.invoke", factory: { _ in SwiftLogNoOpLogHandler() }))
                if let envVars {
                    invocation.functionEnvironment = try EnvironmentFile.read(envVars, template: template)
                }
            } catch {
                fail(usage: "smartpay invoke: \(error)")
            }
            let requested = function.split(separator: ":").last.map(String.init) ?? function
            guard
                let spec = template.functions[requested]
                    ?? (template.functions.count == 1 && requested == "function"
                        ? template.functions.values.first : nil)
            else {
                let known = template.functions.keys.sorted().joined(separator: ", ")
                fail(usage: "smartpay invoke: no function \"\(function)\" in \(common.template) (it has: \(known))")
            }
            invocation.stateDirectory = stateDir
            invocation.sandboxDirectory = sandboxDir
            invocation.timeoutOverride = timeout
            let record: InvocationRecord
            do {
                record = try await invocation.run(function: spec, payload: payload)
            } catch {
                fail(usage: "smartpay invoke: \(error)")
            }
            var output = record.outcome.payload(requestID: record.requestID)
            output.append(0x0A)
            FileHandle.standardOutput.write(Data(output))
            FileHandle.standardError.write(Data((record.reportLine + "\n").utf8))
            throw ExitCode(record.outcome.isSuccess ? 0 : 1)
        }

        private func readEvent(_ path: String?) throws -> [UInt8] {
            guard let path else { return Array("{}".utf8) }
            return try readInput(path)
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the platform: the HTTP API, the AWS-compatible endpoint, warm function processes, Redis.")

        @Option(help: "The HTTP API's port (0 picks a free one).")
        var port = 3000

        @Option(help: "The AWS-compatible endpoint's port (0 picks a free one).")
        var awsPort = 4566

        @Option(help: "The WebSocket API's port, when the template declares one (0 picks a free one).")
        var wsPort = 3001

        @Option(help: "Seconds a WebSocket connection may stay idle before it is closed (API Gateway: 600).")
        var wsIdleTimeout = 600

        @Option(help: "Seconds any WebSocket connection may last (API Gateway: 7200).")
        var wsMaxDuration = 7200

        @Option(help: "The address to listen on.")
        var host = "127.0.0.1"

        @Option(help: "Use this Redis instead of starting one (also REDIS_URL).")
        var redisURL: String?

        @Option(
            help: "The embedded Redis's appendfsync: always (a write is answered once on disk) or everysec.")
        var redisFsync: RedisFsync = .always

        @Flag(help: "Start every function's process at start instead of on first use.")
        var warm = false

        @Option(help: "Concurrent invocations per function, unless the template reserves fewer.")
        var maxConcurrency = 10

        @Option(help: "Invocations that may wait per function before 429.")
        var queueLimit = 100

        @Option(help: "Where the embedded Redis keeps its data.")
        var stateDir = ".smartpay"

        @Option(help: "Seconds before an event left in delivery by a runtime that died is delivered again.")
        var busReclaimIdle = 30

        @Option(help: "Milliseconds before a failed delivery's first retry (doubling, half jittered).")
        var busRetryBaseMs = 1000

        @Option(help: "Per caller (API key or token subject) on routes that create or change: COUNT/s|m|h|d or off.")
        var rateLimitWrites = "1000/h"

        @Option(help: "Per caller on routes that read.")
        var rateLimitReads = "5000/h"

        @Option(help: "Per client IP, every route.")
        var rateLimitIp = "100/m"

        @Option(help: "For the whole HTTP API.")
        var rateLimitGlobal = "1000/s"

        @Option(help: "Largest request body in bytes.")
        var maxBodyBytes = 6 * 1024 * 1024

        @Option(help: "Largest request line and headers in bytes.")
        var maxHeaderBytes = 10 * 1024

        @Option(help: "Deepest nesting of a JSON body.")
        var maxJsonDepth = 32

        @Option(
            help:
                "JWKS file or URL for authorizers whose issuer is not the development one (default: {issuer}/.well-known/jwks.json)."
        )
        var jwks: String?

        @Option(
            help:
                "Payment-gateway sandboxes on loopback when no credentials are set (localstripe for Stripe): on or off."
        )
        var sandboxes = "on"

        @Option(help: "Where the payment-gateway sandboxes' launchers are.")
        var sandboxDir = "infra/sandboxes"

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let logger = bootstrapLogging()
            guard sandboxes == "on" || sandboxes == "off" else {
                fail(usage: "smartpay serve: --sandboxes expects on or off, got \(sandboxes)")
            }
            var options = ServeOptions(templatePath: common.template, binaryDirectory: common.binaryDirectory)
            options.metricsExposition = bootstrapMetrics()
            options.host = host
            options.port = port
            options.awsPort = awsPort
            options.webSocket.port = wsPort
            options.webSocket.idleTimeout = .seconds(max(1, wsIdleTimeout))
            options.webSocket.maximumDuration = .seconds(max(1, wsMaxDuration))
            options.redisURL = redisURL ?? ProcessInfo.processInfo.environment["REDIS_URL"]
            options.redisFsync = redisFsync
            options.warm = warm
            options.sandboxes = sandboxes == "on"
            options.sandboxDirectory = sandboxDir
            options.maximumConcurrency = maxConcurrency
            options.queueLimit = queueLimit
            options.stateDirectory = stateDir
            options.bus.reclaimIdle = .seconds(max(1, busReclaimIdle))
            options.bus.retryBaseDelay = .milliseconds(max(1, busRetryBaseMs))
            do {
                options.apiGuard.rateLimits.writes = try RateLimit.parse(rateLimitWrites)
                options.apiGuard.rateLimits.reads = try RateLimit.parse(rateLimitReads)
                options.apiGuard.rateLimits.perIP = try RateLimit.parse(rateLimitIp)
                options.apiGuard.rateLimits.global = try RateLimit.parse(rateLimitGlobal)
            } catch {
                fail(usage: "smartpay serve: \(error)")
            }
            options.apiGuard.requestLimits.maximumBodyBytes = maxBodyBytes
            options.apiGuard.requestLimits.maximumHeaderBytes = maxHeaderBytes
            options.apiGuard.requestLimits.maximumJSONDepth = maxJsonDepth
            options.apiGuard.jwks = jwks
            try await reportingFailure(of: "serve") {
                try await SmartPayRuntime.Serve.run(options, logger: logger) { ports in
                    // A line a script can wait for.
                    let webSocket = ports.webSocket.map { " ws=\($0)" } ?? ""
                    FileHandle.standardOutput.write(Data("ready http=\(ports.api) aws=\(ports.aws)\(webSocket)\n".utf8))
                }
            }
        }
    }
}

/// The bytes of a file argument, or of stdin for `-`.
func readInput(_ path: String) throws -> [UInt8] {
    if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw RuntimeError("cannot read \"\(path)\"")
    }
    return Array(data)
}

/// Runs a command's work: an error it throws is printed as `smartpay COMMAND: error` and the command exits 1; an
/// `ExitCode` the work throws passes through as it is.
func reportingFailure(of command: String, _ work: () async throws -> Void) async throws {
    do {
        try await work()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("smartpay \(command): \(error)\n".utf8))
        throw ExitCode(1)
    }
}

func fail(usage message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

extension RedisFsync: ExpressibleByArgument {}
