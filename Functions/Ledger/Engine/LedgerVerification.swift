/// `ledger verify` and `ledger seal` over any store.
public enum LedgerVerification {
    /// Rebuilds `ledger` from its journal, page by page, and checks it against the stored accounts.
    public static func verify(_ store: any LedgerStore, ledger: LedgerName, pageSize: Int = 5_000) async throws
        -> VerificationReport
    {
        try await store.completeChain(ledger: ledger)
        var verifier = try await replay(store, ledger: ledger, pageSize: pageSize)
        guard verifier.report.ok else { return verifier.report }
        return verifier.finish(stored: try await store.accounts(ledger: ledger))
    }

    /// Seals the balances the journal gives at its head (retrying while batches move the head): the next
    /// `verify` checks that the rebuilt balances at that point are the sealed ones.
    public static func seal(_ store: any LedgerStore, ledger: LedgerName, attempts: Int = 10) async throws
        -> VerificationReport
    {
        try await store.completeChain(ledger: ledger)
        for _ in 0..<attempts {
            let verifier = try await replay(store, ledger: ledger, pageSize: 5_000)
            guard verifier.report.ok else { return verifier.report }
            let head = verifier.head
            let digest = BalanceDigest.of(verifier.accounts.values)
            if try await store.seal(ledger: ledger, at: head, accounts: verifier.accounts.count, digest: digest) {
                return verifier.report
            }
        }
        throw LedgerInputError(field: "ledger", "the \(ledger.code) ledger kept moving; no seal written")
    }

    private static func replay(_ store: any LedgerStore, ledger: LedgerName, pageSize: Int) async throws
        -> LedgerVerifier
    {
        var verifier = LedgerVerifier(ledger: ledger)
        var after: Int64 = 0
        while true {
            let page = try await store.journal(ledger: ledger, after: after, limit: pageSize)
            for entry in page where !verifier.feed(entry) { return verifier }
            guard page.count == pageSize else { break }
            after += Int64(page.count)
        }
        return verifier
    }
}
