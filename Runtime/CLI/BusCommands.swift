import ArgumentParser
import Foundation
import SmartPayBus
import SmartPayContracts
import SmartPayCore
import SmartPayRedis
import SmartPayRuntime
import SmartPayTemplate

/// How `smartpay events` and `smartpay dlq` reach the bus: `--redis-url`, `REDIS_URL`, or the running
/// `smartpay serve` recorded in the state directory.
struct BusOptions: ParsableArguments {
    @Option(help: "The bus's Redis (default: REDIS_URL, or the running `smartpay serve`'s).")
    var redisURL: String?

    @Option(help: "Where `smartpay serve` keeps its state.")
    var stateDir = ".smartpay"

    @Option(help: "The deployment template.")
    var template = "infra/template.yaml"

    func admin(_ command: String) -> BusAdmin {
        let template: Template
        do {
            template = try TemplateLoader.load(self.template)
        } catch {
            fail(usage: "smartpay \(command): \(error)")
        }
        return BusAdmin(template: template, redis: redis(command))
    }

    /// The Redis of `--redis-url`, `REDIS_URL` or the running `smartpay serve`.
    func redis(_ command: String) -> RedisClient {
        guard
            let url = redisURL ?? ProcessInfo.processInfo.environment["REDIS_URL"]
                ?? RuntimeState.read(from: stateDir)?.redisURL
        else {
            fail(
                usage:
                    "smartpay \(command): no Redis to talk to: start `smartpay serve` here, or pass --redis-url / set REDIS_URL"
            )
        }
        do {
            return try RedisClient(url: url, maximumConnections: 2)
        } catch {
            fail(usage: "smartpay \(command): \(error)")
        }
    }
}

/// The text of a `--pattern` / `--event` value: inline JSON, or a file (`file://` optional).
func jsonArgument(_ value: String, _ name: String, _ command: String) -> String {
    let trimmed = value.trimmingCharacters(in: .whitespaces)
    if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") { return value }
    let path = value.hasPrefix("file://") ? String(value.dropFirst(7)) : value
    guard let data = FileManager.default.contents(atPath: path) else {
        fail(usage: "smartpay \(command): \(name): \"\(value)\" is neither JSON nor a readable file")
    }
    return String(decoding: data, as: UTF8.self)
}

func printLine(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Publish events, test patterns, replay the archive.",
        subcommands: [Put.self, TestPattern.self, Replay.self])

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish one PutEvents entry or a PutEvents request (`{\"Entries\": [...]}` or an array).",
            discussion:
                "Prints PutEvents' answer. Exit 0 when every entry was accepted, 1 when some failed, 2 for a usage error."
        )

        @Argument(help: "The JSON file (- for stdin).")
        var file: String

        @OptionGroup var bus: BusOptions

        func run() async throws {
            guard let bytes = try? readInput(file), let json = try? JSONParser().parse(bytes) else {
                fail(usage: "smartpay events put: \(file) is not readable JSON")
            }
            let list: JSONValue
            switch json {
            case .array: list = json
            case .object(let members) where members["Entries"] != nil: list = members["Entries"]!
            case .object: list = .array([json])
            default: fail(usage: "smartpay events put: expected an entry, an array of entries or {\"Entries\": [...]}")
            }
            let entries: [PutEvents.Entry]
            do {
                entries = try JSONValueDecoder(keyStrategy: .useDefaultKeys).decode([PutEvents.Entry].self, from: list)
            } catch let error as DecodingError {
                fail(usage: "smartpay events put: \(error.fieldMessage)")
            }
            let results: [Result<JSONValue, PutEvents.EntryError>]
            do {
                results = try await bus.admin("events put").put(entries)
            } catch {
                fail(usage: "smartpay events put: \(error)")
            }
            printLine(PutEvents.response(results).serializedString)
            let failed = results.contains { if case .failure = $0 { return true } else { return false } }
            throw ExitCode(failed ? 1 : 0)
        }
    }

    struct TestPattern: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test-pattern", abstract: "Whether an event matches an event pattern (as TestEventPattern).",
            discussion: "Prints true or false. Exit 0 for a match, 1 for none, 2 for an invalid pattern or event.")

        @Option(help: "The pattern: JSON, or a file.")
        var pattern: String

        @Option(help: "The event: JSON, or a file.")
        var event: String

        func run() async throws {
            let command = "events test-pattern"
            let matches: Bool
            do throws(BusCommandError) {
                matches = try BusAdmin.testPattern(
                    pattern: jsonArgument(pattern, "--pattern", command), event: jsonArgument(event, "--event", command)
                )
            } catch {
                fail(usage: "smartpay \(command): \(error.code): \(error.message)")
            }
            printLine(matches ? "true" : "false")
            throw ExitCode(matches ? 0 : 1)
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-deliver archived events with their original ids (and replay-name set).")

        @Option(help: "Start of the time range (RFC 3339).")
        var from: String

        @Option(help: "End of the time range (RFC 3339).")
        var to: String

        @Option(help: "Only this rule's targets.")
        var rule: String?

        @Option(help: "The replay's name, set as replay-name on each event (default: replay-<time>).")
        var name: String?

        @OptionGroup var bus: BusOptions

        func run() async throws {
            let start: Timestamp
            let end: Timestamp
            do {
                start = try Timestamp(rfc3339: from)
                end = try Timestamp(rfc3339: to)
            } catch {
                fail(usage: "smartpay events replay: --from/--to: \(error)")
            }
            let replayName = name ?? "replay-\(Timestamp.now().millisecondsSinceEpoch)"
            do {
                let count = try await bus.admin("events replay").replay(
                    from: start, to: end, rule: rule, name: replayName)
                printLine("replay \(replayName): \(count) deliveries queued")
            } catch {
                fail(usage: "smartpay events replay: \(error)")
            }
        }
    }
}

struct DLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq", abstract: "The bus's dead-letter queues: list, redrive, purge.",
        subcommands: [List.self, Redrive.self, Purge.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters with their attributes.")

        @Option(help: "Only this target (its id, function name or ARN, or the queue's name).")
        var target: String?

        @Flag(help: "One JSON object per line.")
        var json = false

        @OptionGroup var bus: BusOptions

        func run() async throws {
            let letters: [DeadLetter]
            do {
                letters = try await bus.admin("dlq list").deadLetters(target: target)
            } catch {
                fail(usage: "smartpay dlq list: \(error)")
            }
            for letter in letters {
                if json {
                    printLine(letter.json.serializedString)
                } else {
                    let attributes = letter.attributes
                    printLine(
                        "\(letter.queue)  \(letter.eventID)  \(letter.rule ?? "-")/\(letter.targetID ?? "-")  "
                            + "\(attributes["ERROR_CODE"] ?? "-")  attempts=\(attributes["RETRY_ATTEMPTS"] ?? "-")  "
                            + "\(attributes["EXHAUSTED_RETRY_CONDITION"] ?? "")  \(attributes["ERROR_MESSAGE"] ?? "")")
                }
            }
            if !json { printLine("\(letters.count) dead letter\(letters.count == 1 ? "" : "s")") }
        }
    }

    struct Redrive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send dead letters back to their targets, keeping their event ids.")

        @Option(help: "Only this target.")
        var target: String?

        @Option(help: "Only the dead letter of this event id.")
        var id: String?

        @Flag(help: "Every dead letter (of --target, when given).")
        var all = false

        @OptionGroup var bus: BusOptions

        func validate() throws {
            guard (id != nil) != all else {
                throw ValidationError("pass either --id ID or --all")
            }
        }

        func run() async throws {
            do {
                let count = try await bus.admin("dlq redrive").redrive(target: target, eventID: id)
                printLine("redriven: \(count)")
            } catch {
                fail(usage: "smartpay dlq redrive: \(error)")
            }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a target's dead letters.")

        @Option(help: "The target (its id, function name or ARN, or the queue's name).")
        var target: String

        @OptionGroup var bus: BusOptions

        func run() async throws {
            do {
                let count = try await bus.admin("dlq purge").purge(target: target)
                printLine("purged: \(count)")
            } catch {
                fail(usage: "smartpay dlq purge: \(error)")
            }
        }
    }
}
