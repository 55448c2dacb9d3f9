import ArgumentParser
import Foundation
import SmartPayLedger
import SmartPayRedis

/// `smartpay ledger …`: the ledger read and checked from its Redis (the running serve's, `--redis-url` or
/// `REDIS_URL`), with the same library the ledger function runs.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Verify, seal and read the ledger.",
        subcommands: [Verify.self, Seal.self, Accounts.self, Balance.self, Transfers.self])

    struct Options: ParsableArguments {
        @OptionGroup var bus: BusOptions

        @Option(help: "One ledger (USD, JPY, RWD…); default: every ledger.")
        var ledger: String?

        func store(_ command: String) -> RedisLedgerStore { RedisLedgerStore(redis: bus.redis("ledger \(command)")) }

        func ledgers(_ store: RedisLedgerStore, _ command: String) async throws -> [LedgerName] {
            guard let ledger else { return try await store.ledgers() }
            do { return [try LedgerName(ledger)] } catch { fail(usage: "smartpay ledger \(command): \(error)") }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild every balance from the journal and check the hash chain, the seals and the sums.",
            discussion: "Exit 0 when every ledger checks out; 1 naming the first bad seq (or account) otherwise.")

        @OptionGroup var options: Options

        func run() async throws {
            let store = options.store("verify")
            var failed = false
            let started = ContinuousClock.now
            for ledger in try await options.ledgers(store, "verify") {
                let report = try await LedgerVerification.verify(store, ledger: ledger)
                printLine(LedgerCommand.describe(report))
                failed = failed || !report.ok
            }
            printLine("verified in \(ContinuousClock.now - started)")
            if failed { throw ExitCode(1) }
        }
    }

    struct Seal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append a seal over the balances the journal gives at its head.")

        @OptionGroup var options: Options

        func run() async throws {
            let store = options.store("seal")
            var failed = false
            for ledger in try await options.ledgers(store, "seal") {
                let report = try await LedgerVerification.seal(store, ledger: ledger)
                printLine((report.ok ? "sealed " : "NOT sealed ") + LedgerCommand.describe(report))
                failed = failed || !report.ok
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Accounts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts and their balances.")

        @OptionGroup var options: Options

        func run() async throws {
            let store = options.store("accounts")
            for ledger in try await options.ledgers(store, "accounts") {
                for a in try await store.accounts(ledger: ledger).sorted(by: { $0.name < $1.name }) {
                    printLine(LedgerCommand.row(a))
                }
            }
        }
    }

    struct Balance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A merchant's held, available and reserve.")

        @OptionGroup var options: Options

        @Option(help: "The merchant (m_42).")
        var merchant: String

        func run() async throws {
            let store = options.store("balance")
            for ledger in try await options.ledgers(store, "balance") {
                let accounts = ChartAccount.merchant(merchant).map { $0.id(in: ledger) }
                for account in try await store.lookupAccounts(accounts, ledger: ledger).compactMap({ $0 }) {
                    printLine(LedgerCommand.row(account))
                }
            }
        }
    }

    struct Transfers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The transfers in the journal, oldest first, optionally of one account (by chart name or id).")

        @OptionGroup var options: Options

        @Option(help: "Only this account: a chart name (merchant:m_42:held) or a 32-digit hex id.")
        var account: String?

        @Option(help: "At most this many.")
        var limit = 100

        func run() async throws {
            let store = options.store("transfers")
            var shown = 0
            for ledger in try await options.ledgers(store, "transfers") {
                let wanted = account.map { LedgerID(hex: $0) ?? LedgerID.derived("account", ledger.code, $0) }
                var after: Int64 = 0
                while shown < limit {
                    let page = try await store.journal(ledger: ledger, after: after, limit: 5_000)
                    for entry in page where shown < limit {
                        guard let t = JournalText.parseTransfer(entry.line) else { continue }
                        if let wanted, t.debitAccountID != wanted && t.creditAccountID != wanted { continue }
                        let seq = entry.line.split(separator: "|", maxSplits: 2)[1]
                        printLine(
                            "\(ledger.code) seq \(seq) \(t.id) \(t.debitAccountID) → \(t.creditAccountID) \(t.amount) "
                                + "code \(t.code) \(t.userData)")
                        shown += 1
                    }
                    guard page.count == 5_000 else { break }
                    after += Int64(page.count)
                }
            }
        }
    }

    static func describe(_ r: VerificationReport) -> String {
        let figures = "\(r.ledger.code): \(r.entries) entries, \(r.transfers) transfers, \(r.seals) seals"
        guard let reason = r.failureReason else { return figures + ", \(r.accounts) accounts: ok" }
        return figures + ": FAILED" + (r.failureSeq.map { " at seq \($0)" } ?? "") + ": " + reason
    }

    static func row(_ a: Account) -> String {
        "\(a.ledger.code) \(a.name.isEmpty ? a.id.hex : a.name): debits \(a.debitsPending)/\(a.debitsPosted) "
            + "credits \(a.creditsPending)/\(a.creditsPosted) (pending/posted)"
    }
}
