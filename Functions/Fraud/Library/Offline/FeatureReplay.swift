/// Replays a transaction file in time order through the same feature code the online function runs, keeping per
/// customer and per terminal exactly the history the Redis store keeps, and learning each fraud label
/// `labelDelay` after its transaction (the handbook's 7 days).
public struct FeatureReplay {
    public let table: TransactionTable
    public var labelDelay: Int64 = FeatureExtractor.labelDelay

    public init(table: TransactionTable) { self.table = table }

    /// Calls `body` with each row's index and feature vector (`FraudFeature` order), in time order, for rows whose
    /// time is before `until` (all rows when nil). The vector is reused between calls.
    public func run(until: Int64? = nil, _ body: (Int, [Float]) throws -> Void) rethrows {
        var customerTimes = [[Int64]](repeating: [], count: table.customerNames.count)
        var customerAmounts = [[Double]](repeating: [], count: table.customerNames.count)
        var terminalTimes = [[Int64]](repeating: [], count: table.terminalNames.count)
        var terminalFraudTimes = [[Int64]](repeating: [], count: table.terminalNames.count)
        // Frauds whose label is not known yet, in the order they become known.
        var pendingLabels: [Int] = []
        var nextLabel = 0
        var vector = [Float](repeating: .nan, count: FraudFeature.allCases.count)
        var history = FeatureHistory()

        for row in 0..<table.count {
            let t = table.times[row]
            if let until, t >= until { break }
            while nextLabel < pendingLabels.count, table.times[pendingLabels[nextLabel]] + labelDelay <= t {
                let fraud = pendingLabels[nextLabel]
                terminalFraudTimes[Int(table.terminals[fraud])].append(table.times[fraud])
                nextLabel += 1
            }
            let customer = Int(table.customers[row])
            let terminal = Int(table.terminals[row])
            let amount = table.majorAmount(row)

            customerTimes[customer].append(t)
            customerAmounts[customer].append(amount)
            Self.prune(
                &customerTimes[customer], &customerAmounts[customer], before: t - FeatureExtractor.customerHorizon)
            terminalTimes[terminal].append(t)
            Self.prune(&terminalTimes[terminal], before: t - FeatureExtractor.terminalHorizon)
            Self.prune(&terminalFraudTimes[terminal], before: t - FeatureExtractor.terminalHorizon)

            // Lend the arrays to the history without copying them, and take them back after.
            swap(&history.customerTimes, &customerTimes[customer])
            swap(&history.customerAmounts, &customerAmounts[customer])
            swap(&history.terminalTimes, &terminalTimes[terminal])
            swap(&history.terminalFraudTimes, &terminalFraudTimes[terminal])
            FeatureExtractor.fill(
                &vector, transaction: FeatureTransaction(time: t, amount: amount), history: history)
            swap(&history.customerTimes, &customerTimes[customer])
            swap(&history.customerAmounts, &customerAmounts[customer])
            swap(&history.terminalTimes, &terminalTimes[terminal])
            swap(&history.terminalFraudTimes, &terminalFraudTimes[terminal])

            if table.frauds[row] { pendingLabels.append(row) }
            try body(row, vector)
        }
    }

    /// Drops entries at or before `cutoff` (they are out of every window), oldest first.
    static func prune(_ times: inout [Int64], before cutoff: Int64) {
        var drop = 0
        while drop < times.count, times[drop] <= cutoff { drop += 1 }
        if drop > 0 { times.removeFirst(drop) }
    }

    static func prune(_ times: inout [Int64], _ amounts: inout [Double], before cutoff: Int64) {
        var drop = 0
        while drop < times.count, times[drop] <= cutoff { drop += 1 }
        if drop > 0 {
            times.removeFirst(drop)
            amounts.removeFirst(drop)
        }
    }
}
