import ArgumentParser
import Foundation
import SmartPayAuth
import SmartPayCore
import SmartPayRedis

/// `smartpay token`: a development access token signed by the runtime's local key.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print an access token signed by the local development key (its JWKS: /.well-known/jwks.json).",
        discussion:
            "The token's issuer is \(DevelopmentIdentity.issuer) and its audience \(DevelopmentIdentity.audience), which the template's JwtIssuer and JwtAudience parameters default to."
    )

    @Option(help: "The subject: a customer id (c_7) or a merchant id (m_42).")
    var sub: String

    @Option(help: "customer, merchant or admin.")
    var role: String?

    @Option(help: "Comma-separated scopes, e.g. payments:read,payments:write.")
    var scopes = ""

    @Option(
        help: "The merchant a merchant user acts for (merchant_id claim; default: the subject for --role merchant).")
    var merchant: String?

    @Option(help: "Lifetime in seconds.")
    var ttl: Int64 = 3600

    @Option(help: "Where `smartpay serve` keeps its state (the key is created there on first use).")
    var stateDir = ".smartpay"

    func run() async throws {
        guard ttl > 0 else { fail(usage: "smartpay token: --ttl must be positive") }
        if let role, !["customer", "merchant", "admin"].contains(role) {
            fail(usage: "smartpay token: --role must be customer, merchant or admin, got \"\(role)\"")
        }
        let identity: DevelopmentIdentity
        do {
            identity = try DevelopmentIdentity.load(stateDirectory: stateDir)
        } catch {
            fail(usage: "smartpay token: \(error)")
        }
        let list = commaList(scopes)
        printLine(
            identity.token(
                subject: sub, role: role, scopes: list, merchantID: merchant ?? (role == "merchant" ? sub : nil),
                lifetimeSeconds: ttl))
    }
}

/// `smartpay keys`: merchant API keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list and revoke merchant API keys.",
        subcommands: [Create.self, List.self, Revoke.self])

    static func store(_ options: BusOptions, _ command: String) -> APIKeyStore {
        let secret: [UInt8]
        do {
            secret = try APIKeyStore.secret(
                environment: ProcessInfo.processInfo.environment, stateDirectory: options.stateDir)
        } catch {
            fail(usage: "smartpay \(command): \(error)")
        }
        return APIKeyStore(redis: options.redis(command), secret: secret)
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key and print it once; only an HMAC of it is stored.")

        @Option(help: "The merchant the key acts for.")
        var merchant: String

        @Option(help: "Comma-separated scopes, e.g. payments:write,payments:read.")
        var scopes: String

        @Option(help: "A label to tell keys apart.")
        var name: String?

        @OptionGroup var bus: BusOptions

        func run() async throws {
            let list = commaList(scopes)
            guard !merchant.isEmpty, !list.isEmpty else {
                fail(usage: "smartpay keys create: --merchant and at least one scope are required")
            }
            try await reportingFailure(of: "keys create") {
                let (key, record) = try await KeysCommand.store(bus, "keys create").create(
                    merchantID: merchant, scopes: list, name: name)
                FileHandle.standardError.write(
                    Data("created \(record.id) for \(merchant); the key is shown once:\n".utf8))
                printLine(key)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")

        @Option(help: "Only this merchant's keys.")
        var merchant: String?

        @Flag(help: "Print JSON.")
        var json = false

        @OptionGroup var bus: BusOptions

        func run() async throws {
            try await reportingFailure(of: "keys list") {
                let records = try await KeysCommand.store(bus, "keys list").list(merchantID: merchant)
                if json {
                    printLine(JSONValue.array(records.map(\.json)).serializedString)
                    return
                }
                for record in records {
                    printLine(
                        "\(record.id)  \(record.merchantID)  …\(record.last4)  \(record.scopes.joined(separator: ","))  "
                            + "\(record.revokedAt == nil ? "active" : "revoked")  \(record.createdAt)"
                            + (record.name.map { "  \($0)" } ?? ""))
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key at once.")

        @Argument(help: "The key's id (key_…).")
        var id: String

        @OptionGroup var bus: BusOptions

        func run() async throws {
            try await reportingFailure(of: "keys revoke") {
                guard try await KeysCommand.store(bus, "keys revoke").revoke(id: id) else {
                    FileHandle.standardError.write(Data("smartpay keys revoke: no active key \(id)\n".utf8))
                    throw ExitCode(1)
                }
                printLine("revoked \(id)")
            }
        }
    }
}

/// `a, b,c` → `["a", "b", "c"]`: the items of a comma-separated option, blanks dropped.
func commaList(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}
