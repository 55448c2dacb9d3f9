import SmartPayCore

/// The fraud model's inputs, in the order of a feature vector.
///
/// The first fifteen are the Fraud Detection Handbook's (Le Borgne et al., chapter 3.4, "Baseline feature
/// transformation"), under its column names: the amount; weekend and night flags; per customer the number and mean
/// amount of transactions over the last 1, 7 and 30 days (the current one included); per terminal the number of
/// transactions and the share of them known to be fraud over (t − 7 − n, t − 7] days, n = 1, 7, 30 (labels arrive
/// with a 7-day delay; a risk with no transactions is 0). The rest are what a payment platform also has: the amount
/// against the customer's earlier mean, short-window velocities per customer, card, IP and device, and IP country
/// against card country. A feature an event cannot give (no device id) is missing (NaN), which the model handles.
public enum FraudFeature: Int, CaseIterable, Sendable {
    case amount
    case duringWeekend
    case duringNight
    case customerCount1Day
    case customerMean1Day
    case customerCount7Days
    case customerMean7Days
    case customerCount30Days
    case customerMean30Days
    case terminalCount1Day
    case terminalRisk1Day
    case terminalCount7Days
    case terminalRisk7Days
    case terminalCount30Days
    case terminalRisk30Days
    case terminalFraudAge
    case amountToCustomerMean7Days
    case amountToCustomerMean30Days
    case amountToCustomerMedian30Days
    case customerLargeCount7Days
    case customerCount1Hour
    case cardCount10Minutes
    case cardCount1Hour
    case ipCount10Minutes
    case ipCount1Hour
    case deviceCount10Minutes
    case deviceCount1Hour
    case countryMismatch

    /// The column name in feature files and the model's `feature_names`.
    public var name: String {
        switch self {
        case .amount: "TX_AMOUNT"
        case .duringWeekend: "TX_DURING_WEEKEND"
        case .duringNight: "TX_DURING_NIGHT"
        case .customerCount1Day: "CUSTOMER_ID_NB_TX_1DAY_WINDOW"
        case .customerMean1Day: "CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW"
        case .customerCount7Days: "CUSTOMER_ID_NB_TX_7DAY_WINDOW"
        case .customerMean7Days: "CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW"
        case .customerCount30Days: "CUSTOMER_ID_NB_TX_30DAY_WINDOW"
        case .customerMean30Days: "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW"
        case .terminalCount1Day: "TERMINAL_ID_NB_TX_1DAY_WINDOW"
        case .terminalRisk1Day: "TERMINAL_ID_RISK_1DAY_WINDOW"
        case .terminalCount7Days: "TERMINAL_ID_NB_TX_7DAY_WINDOW"
        case .terminalRisk7Days: "TERMINAL_ID_RISK_7DAY_WINDOW"
        case .terminalCount30Days: "TERMINAL_ID_NB_TX_30DAY_WINDOW"
        case .terminalRisk30Days: "TERMINAL_ID_RISK_30DAY_WINDOW"
        case .terminalFraudAge: "TERMINAL_ID_DAYS_SINCE_FIRST_KNOWN_FRAUD"
        case .amountToCustomerMean7Days: "CUSTOMER_ID_AMOUNT_TO_PRIOR_AVG_7DAY_WINDOW"
        case .amountToCustomerMean30Days: "CUSTOMER_ID_AMOUNT_TO_PRIOR_AVG_30DAY_WINDOW"
        case .amountToCustomerMedian30Days: "CUSTOMER_ID_AMOUNT_TO_PRIOR_MEDIAN_30DAY_WINDOW"
        case .customerLargeCount7Days: "CUSTOMER_ID_NB_LARGE_TX_7DAY_WINDOW"
        case .customerCount1Hour: "CUSTOMER_ID_NB_TX_1HOUR_WINDOW"
        case .cardCount10Minutes: "CARD_NB_TX_10MIN_WINDOW"
        case .cardCount1Hour: "CARD_NB_TX_1HOUR_WINDOW"
        case .ipCount10Minutes: "IP_NB_TX_10MIN_WINDOW"
        case .ipCount1Hour: "IP_NB_TX_1HOUR_WINDOW"
        case .deviceCount10Minutes: "DEVICE_NB_TX_10MIN_WINDOW"
        case .deviceCount1Hour: "DEVICE_NB_TX_1HOUR_WINDOW"
        case .countryMismatch: "IP_COUNTRY_MISMATCH"
        }
    }

    /// What the feature means, in plain words, for a reason shown to people.
    public var label: String {
        switch self {
        case .amount: "the amount"
        case .duringWeekend: "a weekend transaction"
        case .duringNight: "a night-time transaction (00:00–06:59 UTC)"
        case .customerCount1Day: "the customer's transactions in the last day"
        case .customerMean1Day: "the customer's average amount over the last day"
        case .customerCount7Days: "the customer's transactions in the last 7 days"
        case .customerMean7Days: "the customer's average amount over the last 7 days"
        case .customerCount30Days: "the customer's transactions in the last 30 days"
        case .customerMean30Days: "the customer's average amount over the last 30 days"
        case .terminalCount1Day: "the terminal's transactions a week ago (1 day)"
        case .terminalRisk1Day: "the terminal's known fraud rate a week ago (1 day)"
        case .terminalCount7Days: "the terminal's transactions a week ago (7 days)"
        case .terminalRisk7Days: "the terminal's known fraud rate a week ago (7 days)"
        case .terminalCount30Days: "the terminal's transactions a week ago (30 days)"
        case .terminalRisk30Days: "the terminal's known fraud rate a week ago (30 days)"
        case .terminalFraudAge: "days since the terminal's first known fraud of the last 37 days"
        case .amountToCustomerMean7Days: "the amount against the customer's earlier 7-day average"
        case .amountToCustomerMean30Days: "the amount against the customer's earlier 30-day average"
        case .amountToCustomerMedian30Days: "the amount against the customer's earlier 30-day median"
        case .customerLargeCount7Days:
            "the customer's transactions in the last 7 days above 3 times their earlier 30-day median"
        case .customerCount1Hour: "the customer's transactions in the last hour"
        case .cardCount10Minutes: "the card's transactions in the last 10 minutes"
        case .cardCount1Hour: "the card's transactions in the last hour"
        case .ipCount10Minutes: "the IP address's transactions in the last 10 minutes"
        case .ipCount1Hour: "the IP address's transactions in the last hour"
        case .deviceCount10Minutes: "the device's transactions in the last 10 minutes"
        case .deviceCount1Hour: "the device's transactions in the last hour"
        case .countryMismatch: "the IP country differs from the card's country"
        }
    }

    /// Every feature's column name, in vector order: the schema a model is loaded against.
    public static let schema: [String] = allCases.map(\.name)

    /// Named by column name.
    public init?(name: String) {
        guard let index = Self.schema.firstIndex(of: name) else { return nil }
        self.init(rawValue: index)
    }
}

/// What the feature code needs to know of one transaction itself.
public struct FeatureTransaction: Sendable {
    /// Seconds since the Unix epoch (UTC).
    public var time: Int64
    /// The amount in major units of its currency (a model input, not money: money stays in minor units).
    public var amount: Double
    public var ipCountry: String?
    /// The card's issuing country, or else the billing country.
    public var cardCountry: String?

    public init(time: Int64, amount: Double, ipCountry: String? = nil, cardCountry: String? = nil) {
        self.time = time
        self.amount = amount
        self.ipCountry = ipCountry
        self.cardCountry = cardCountry
    }
}

/// What the store knows around one transaction, the transaction itself included: the same shape whether it comes
/// from Redis (online) or from a replay of a transaction file (offline), so one piece of code computes the features.
public struct FeatureHistory: Sendable {
    /// The customer's transactions in (t − 30 d, t]: times (s) and amounts (major units), in any order.
    public var customerTimes: [Int64] = []
    public var customerAmounts: [Double] = []
    /// The terminal's transactions in (t − 37 d, t − 7 d], and those of them known to be fraud.
    public var terminalTimes: [Int64] = []
    public var terminalFraudTimes: [Int64] = []
    /// The card's, IP's and device's transactions in (t − 1 h, t]; nil when the transaction has no such identifier.
    public var cardTimes: [Int64]?
    public var ipTimes: [Int64]?
    public var deviceTimes: [Int64]?

    public init() {}
}

/// The one implementation of the fraud features, online and offline.
public enum FeatureExtractor {
    public static let day: Int64 = 86_400
    /// Terminal labels are used 7 days after their transaction (the handbook's delay).
    public static let labelDelay: Int64 = 7 * day
    /// How far back the customer windows reach, and the terminal windows (delay + 30 days).
    public static let customerHorizon: Int64 = 30 * day
    public static let terminalHorizon: Int64 = labelDelay + 30 * day
    public static let velocityHorizon: Int64 = 3_600

    /// The feature vector (`FraudFeature` order; NaN = missing) of a transaction, given its history.
    public static func features(of transaction: FeatureTransaction, history: FeatureHistory) -> [Float] {
        var vector = [Float](repeating: .nan, count: FraudFeature.allCases.count)
        fill(&vector, transaction: transaction, history: history)
        return vector
    }

    /// Writes the features into `vector` (reused by the offline replay, which scores millions of rows).
    public static func fill(_ vector: inout [Float], transaction: FeatureTransaction, history: FeatureHistory) {
        // Every feature starts missing: a reused vector must not carry the last row's values.
        for index in vector.indices { vector[index] = .nan }
        fillAmountAndCalendar(&vector, transaction)
        fillCustomerWindows(&vector, transaction, history)
        fillCustomerMedian(&vector, transaction, history)
        fillTerminalWindows(&vector, at: transaction.time, history)
        fillVelocities(&vector, transaction, history)
    }

    @inline(__always)
    private static func fillAmountAndCalendar(_ vector: inout [Float], _ transaction: FeatureTransaction) {
        let t = transaction.time
        vector[.amount] = transaction.amount
        // Calendar facts in UTC: 1970-01-01 was a Thursday (weekday 3 counting from Monday = 0).
        let days = floorDivide(t, day)
        let weekday = (days + 3) % 7
        vector[.duringWeekend] = weekday >= 5 ? 1 : 0
        let hour = (t - days * day) / 3_600
        vector[.duringNight] = hour <= 6 ? 1 : 0
    }

    @inline(__always)
    private static func fillCustomerWindows(
        _ vector: inout [Float], _ transaction: FeatureTransaction, _ history: FeatureHistory
    ) {
        let t = transaction.time
        let windows: [(Int64, FraudFeature, FraudFeature)] = [
            (1, .customerCount1Day, .customerMean1Day), (7, .customerCount7Days, .customerMean7Days),
            (30, .customerCount30Days, .customerMean30Days),
        ]
        for (length, countFeature, meanFeature) in windows {
            var count = 0
            var sum = 0.0
            let start = t - length * day
            for (index, time) in history.customerTimes.enumerated() where time > start && time <= t {
                count += 1
                sum += history.customerAmounts[index]
            }
            vector[countFeature] = Double(count)
            vector[meanFeature] = count > 0 ? sum / Double(count) : 0
            // Against the customer's earlier transactions: the current one is in the window, so take it out.
            if length == 7 || length == 30 {
                let ratioFeature: FraudFeature =
                    length == 7 ? .amountToCustomerMean7Days : .amountToCustomerMean30Days
                let earlier = count - 1
                let earlierSum = sum - transaction.amount
                if earlier > 0, earlierSum > 0 {
                    vector[ratioFeature] = transaction.amount / (earlierSum / Double(earlier))
                }
            }
        }
        vector[.customerCount1Hour] = Double(count(history.customerTimes, after: t - 3_600, upTo: t))
    }

    /// The median resists the outliers a stolen card makes (a third of its amounts times 5), where the mean does not.
    @inline(__always)
    private static func fillCustomerMedian(
        _ vector: inout [Float], _ transaction: FeatureTransaction, _ history: FeatureHistory
    ) {
        let t = transaction.time
        var earlier: [Double] = []
        earlier.reserveCapacity(history.customerTimes.count)
        var skippedCurrent = false
        for (index, time) in history.customerTimes.enumerated() where time > t - customerHorizon && time <= t {
            let amount = history.customerAmounts[index]
            if !skippedCurrent && time == t && amount == transaction.amount {
                skippedCurrent = true
                continue
            }
            earlier.append(amount)
        }
        guard !earlier.isEmpty else { return }
        earlier.sort()
        let middle = earlier.count / 2
        let median = earlier.count % 2 == 1 ? earlier[middle] : (earlier[middle - 1] + earlier[middle]) / 2
        guard median > 0 else { return }
        vector[.amountToCustomerMedian30Days] = transaction.amount / median
        var large = 0
        for (index, time) in history.customerTimes.enumerated()
        where time > t - 7 * day && time <= t && history.customerAmounts[index] > 3 * median {
            large += 1
        }
        vector[.customerLargeCount7Days] = Double(large)
    }

    @inline(__always)
    private static func fillTerminalWindows(_ vector: inout [Float], at t: Int64, _ history: FeatureHistory) {
        let end = t - labelDelay
        for (length, countFeature, riskFeature) in [
            (Int64(1), FraudFeature.terminalCount1Day, FraudFeature.terminalRisk1Day),
            (7, .terminalCount7Days, .terminalRisk7Days), (30, .terminalCount30Days, .terminalRisk30Days),
        ] {
            let start = end - length * day
            let transactions = count(history.terminalTimes, after: start, upTo: end)
            let frauds = count(history.terminalFraudTimes, after: start, upTo: end)
            vector[countFeature] = Double(transactions)
            vector[riskFeature] = transactions > 0 ? Double(frauds) / Double(transactions) : 0
        }

        // How long the terminal has been known bad: a compromise does not last for ever, and a terminal whose fraud
        // started long ago may be clean again before its delayed labels say so.
        var firstFraud: Int64?
        for time in history.terminalFraudTimes where time > t - terminalHorizon && time <= end {
            firstFraud = min(firstFraud ?? time, time)
        }
        if let firstFraud { vector[.terminalFraudAge] = Double(t - firstFraud) / Double(day) }
    }

    @inline(__always)
    private static func fillVelocities(
        _ vector: inout [Float], _ transaction: FeatureTransaction, _ history: FeatureHistory
    ) {
        let t = transaction.time
        let velocities: [([Int64]?, FraudFeature, FraudFeature)] = [
            (history.cardTimes, .cardCount10Minutes, .cardCount1Hour),
            (history.ipTimes, .ipCount10Minutes, .ipCount1Hour),
            (history.deviceTimes, .deviceCount10Minutes, .deviceCount1Hour),
        ]
        for (times, shortFeature, longFeature) in velocities {
            guard let times else { continue }
            vector[shortFeature] = Double(count(times, after: t - 600, upTo: t))
            vector[longFeature] = Double(count(times, after: t - 3_600, upTo: t))
        }
        if let ip = transaction.ipCountry, let card = transaction.cardCountry {
            vector[.countryMismatch] = ip.uppercased() == card.uppercased() ? 0 : 1
        }
    }

    /// How many of `times` fall in (start, end].
    @inline(__always)
    static func count(_ times: [Int64], after start: Int64, upTo end: Int64) -> Int {
        var count = 0
        for time in times where time > start && time <= end { count += 1 }
        return count
    }
}

extension [Float] {
    /// A feature's slot, written from the Double the feature code computes in.
    fileprivate subscript(feature: FraudFeature) -> Double {
        @inline(__always) get { Double(self[feature.rawValue]) }
        @inline(__always) set { self[feature.rawValue] = Float(newValue) }
    }
}
