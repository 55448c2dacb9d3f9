import FraudFunction
import SmartPayCore
import SmartPayRedis
import TestSupport
import Testing

/// A small deterministic transaction file: a few customers and terminals over 60 days, some frauds.
struct SyntheticTransactions {
    var csv = "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n"
    var rows: [(id: String, time: Int64, customer: String, terminal: String, cents: Int64, fraud: Bool)] = []

    init(count: Int = 400, seed: UInt64 = 7) {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let start: Int64 = 1_522_540_800  // 2018-04-01 00:00:00 UTC
        var time = start
        for index in 0..<count {
            time += Int64(next() % 15_000)
            let customer = "C\(next() % 6)"
            let terminal = "T\(next() % 4)"
            let cents = Int64(next() % 30_000)
            let fraud = next() % 9 == 0
            rows.append((String(index), time, customer, terminal, cents, fraud))
            let seconds = time
            let days = seconds / 86_400
            let clock = seconds % 86_400
            func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : String(value) }
            let date =
                "2018-\(Self.monthDay(daysSinceEpoch: days)) \(two(clock / 3600)):\(two(clock % 3600 / 60)):\(two(clock % 60))"
            csv += "\(index),\(date),\(customer),\(terminal),\(cents / 100).\(two(cents % 100)),\(fraud ? 1 : 0)\n"
        }
    }

    /// MM-DD in 2018 (the rows stay within April–June).
    static func monthDay(daysSinceEpoch days: Int64) -> String {
        var day = days - 17_622  // 2018-04-01
        var month = 4
        for length in [30, 31, 30, 31] {
            if day < length { break }
            day -= Int64(length)
            month += 1
        }
        return (month < 10 ? "0\(month)" : "\(month)") + "-" + (day + 1 < 10 ? "0\(day + 1)" : "\(day + 1)")
    }
}

@Suite("fraud features: one implementation, online and offline")
struct FeatureTests {
    @Test("the handbook's windows: customer counts and means include the transaction; terminal labels wait 7 days")
    func windows() throws {
        let csv = """
            TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD
            0,2018-04-02 10:00:00,A,T,10.00,1
            1,2018-04-07 23:30:00,A,T,20.00,0
            2,2018-04-09 10:00:00,B,T,30.00,0
            3,2018-04-09 10:00:01,A,T,100.00,0
            """
        let table = try TransactionTable(csv: Array(csv.utf8), name: "test.csv", currency: .usd)
        var vectors: [[Float]] = []
        FeatureReplay(table: table).run { _, vector in vectors.append(vector) }
        func value(_ row: Int, _ feature: FraudFeature) -> Float { vectors[row][feature.rawValue] }
        // Row 1: Saturday 23:30 UTC.
        #expect(value(1, .duringWeekend) == 1)
        #expect(value(1, .duringNight) == 0)
        #expect(value(0, .duringNight) == 0)
        // Row 3: customer A has 3 transactions in 30 days (mean 43.33), 2 in 7 days (the 2nd and itself).
        #expect(value(3, .customerCount30Days) == 3)
        #expect(abs(value(3, .customerMean30Days) - 130 / 3) < 1e-4)
        #expect(value(3, .customerCount7Days) == 2)
        #expect(value(3, .customerCount1Day) == 1)
        #expect(value(3, .amountToCustomerMean30Days) == Float(100.0 / 15.0), "against the earlier mean (10 + 20) / 2")
        #expect(value(3, .amountToCustomerMedian30Days) == Float(100.0 / 15.0))
        // Terminal T at row 2 (2018-04-09 10:00): the window (t − 8 d, t − 7 d] holds row 0, whose label is known
        // exactly 7 days later.
        #expect(value(2, .terminalCount1Day) == 1)
        #expect(value(2, .terminalRisk1Day) == 1)
        #expect(value(2, .terminalCount7Days) == 1)
        // Row 1 (5.5 days after row 0): nothing is old enough yet; risk 0 when there is no transaction.
        #expect(value(1, .terminalCount30Days) == 0)
        #expect(value(1, .terminalRisk30Days) == 0)
        // The handbook's data has no card, IP or device: those features are missing.
        #expect(value(3, .cardCount10Minutes).isNaN)
        #expect(value(3, .countryMismatch).isNaN)
    }

    @Test("malformed transaction files are refused with the line and the column")
    func malformedFiles() {
        func error(_ csv: String) -> String {
            do {
                _ = try TransactionTable(csv: Array(csv.utf8), name: "tx.csv", currency: .usd)
                return "accepted"
            } catch {
                return error.description
            }
        }
        let header = "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n"
        #expect(error("TRANSACTION_ID,TX_DATETIME\n").contains("no CUSTOMER_ID column"))
        #expect(
            error(header + "0,2018-04-01 00:00:00,A,T,1.234,0\n")
                == "tx.csv:2: TX_AMOUNT: expected a non-negative decimal with at most 2 decimals, got \"1.234\"")
        #expect(error(header + "0,2018-04-01,A,T,1.23,0\n").contains("tx.csv:2: TX_DATETIME"))
        #expect(error(header + "0,2018-04-01 00:00:00,A,T,-5,0\n").contains("TX_AMOUNT"))
        #expect(error(header + "0,2018-04-01 00:00:00,A,T,5,yes\n").contains("TX_FRAUD: expected 0 or 1"))
        #expect(error(header + "0,2018-04-01 00:00:00,A\n").contains("3 fields"))
    }

    @Test("Redis (online) and the file replay (offline) give the same feature vectors, labels arriving 7 days late")
    func onlineMatchesOffline() async throws {
        let synthetic = SyntheticTransactions()
        let table = try TransactionTable(csv: Array(synthetic.csv.utf8), name: "synthetic", currency: .usd)
        #expect(table.count == synthetic.rows.count)
        var offline: [[Float]] = []
        FeatureReplay(table: table).run { _, vector in offline.append(vector) }

        try await RedisServer.with { server in
            let store = RedisFraudStore(redis: RedisClient(configuration: server.configuration))
            var pending: [(due: Int64, row: Int)] = []
            for (index, row) in synthetic.rows.enumerated() {
                while let first = pending.first, first.due <= row.time {
                    let label = synthetic.rows[first.row]
                    _ = try await store.recordFraud(transactionID: label.id, terminalID: nil, time: nil)
                    pending.removeFirst()
                }
                let transaction = FraudTransaction(
                    id: row.id, money: Money(minorUnits: row.cents, currency: .usd),
                    time: Timestamp(millisecondsSinceEpoch: row.time * 1000), customerID: row.customer,
                    terminalID: row.terminal)
                guard case .history(let history, _) = try await store.observe(transaction) else {
                    Issue.record("row \(index) was cached")
                    return
                }
                let online = FeatureExtractor.features(of: transaction.featureTransaction, history: history)
                let same = zip(online, offline[index]).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
                #expect(same, "row \(index): online \(online) offline \(offline[index])")
                if !same { return }
                if row.fraud { pending.append((row.time + 7 * 86_400, index)) }
            }
        }
    }
}
