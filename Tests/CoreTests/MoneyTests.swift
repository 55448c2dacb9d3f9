import Testing

@testable import SmartPayCore

/// SplitMix64: a small seeded generator so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Money")
struct MoneyTests {
    /// Random shares in basis points summing to exactly 10,000.
    static func randomShares(_ count: Int, using generator: inout SeededGenerator) -> [Int] {
        var cuts = (0..<(count - 1)).map { _ in Int.random(in: 0...10_000, using: &generator) }.sorted()
        cuts.insert(0, at: 0)
        cuts.append(10_000)
        return (1..<cuts.count).map { cuts[$0] - cuts[$0 - 1] }
    }

    @Test("split: parts always sum to the total, carry its sign, and stay within one minor unit of the exact share")
    func splitProperty() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        let magnitudes: [ClosedRange<Int64>] = [
            0...10, 0...1_000_000, 0...Int64.max / 3, Int64.max - 10_000...Int64.max,
        ]
        for iteration in 0..<20_000 {
            let range = magnitudes[iteration % magnitudes.count]
            var amount = Int64.random(in: range, using: &generator)
            if iteration % 3 == 0 { amount = -amount }
            let shares = Self.randomShares(Int.random(in: 1...12, using: &generator), using: &generator)
            let money = Money(minorUnits: amount, currency: .usd)
            let parts = try money.split(basisPoints: shares)
            #expect(parts.count == shares.count)
            var sum: Int64 = 0
            for (part, bps) in zip(parts, shares) {
                #expect(part.currency == .usd)
                #expect(
                    amount >= 0 ? part.minorUnits >= 0 : part.minorUnits <= 0,
                    "part of the opposite sign: \(part) of \(money)")
                sum = try #require(
                    Optional(sum.addingReportingOverflow(part.minorUnits)).flatMap {
                        $0.overflow ? nil : $0.partialValue
                    })
                // |part − exact share| < 1 minor unit
                let exact = amount.magnitude.multipliedFullWidth(by: UInt64(bps))
                let (floor, remainder) = UInt64(10_000).dividingFullWidth(exact)
                let magnitude = part.minorUnits.magnitude
                #expect(magnitude == floor || (magnitude == floor + 1 && remainder > 0), "\(shares) of \(amount)")
            }
            #expect(sum == amount, "parts \(parts.map(\.minorUnits)) of \(amount) by \(shares)")
        }
    }

    @Test("split: the leftover goes to the largest remainders, ties to the earlier part")
    func splitLargestRemainder() throws {
        let jpy = Money(minorUnits: 98_765, currency: .jpy)
        #expect(try jpy.split(basisPoints: [2000, 5000, 3000]).map(\.minorUnits) == [19_753, 49_383, 29_629])
        let cent = Money(minorUnits: 100, currency: .usd)
        #expect(try cent.split(basisPoints: [3333, 3333, 3334]).map(\.minorUnits) == [33, 33, 34])
        let one = Money(minorUnits: 1, currency: .usd)
        #expect(try one.split(basisPoints: [5000, 5000]).map(\.minorUnits) == [1, 0])
        let negative = Money(minorUnits: -1001, currency: .usd)
        #expect(try negative.split(basisPoints: [5000, 5000]).map(\.minorUnits) == [-501, -500])
    }

    @Test("split: refuses shares that are empty, negative or do not sum to 10,000")
    func splitRefusesBadShares() {
        let money = Money(minorUnits: 100, currency: .usd)
        #expect(throws: MoneyError.invalidBasisPoints("no parts to split into")) { try money.split(basisPoints: []) }
        #expect(throws: MoneyError.invalidBasisPoints("parts sum to 9000 bps, expected 10000")) {
            try money.split(basisPoints: [5000, 4000])
        }
        #expect(throws: MoneyError.invalidBasisPoints("part 1 is negative (-1 bps)")) {
            try money.split(basisPoints: [10_001, -1])
        }
    }

    @Test("arithmetic is overflow-checked and never mixes currencies")
    func arithmetic() throws {
        let a = Money(minorUnits: 1250, currency: .usd)
        #expect(try a.adding(Money(minorUnits: 50, currency: .usd)).minorUnits == 1300)
        #expect(try a.subtracting(Money(minorUnits: 1300, currency: .usd)).minorUnits == -50)
        #expect(throws: MoneyError.currencyMismatch(.usd, .eur)) { try a.adding(Money(minorUnits: 1, currency: .eur)) }
        #expect(throws: MoneyError.self) {
            try Money(minorUnits: .max, currency: .usd).adding(Money(minorUnits: 1, currency: .usd))
        }
        #expect(throws: MoneyError.self) {
            try Money(minorUnits: .min, currency: .usd).subtracting(Money(minorUnits: 1, currency: .usd))
        }
        #expect(throws: MoneyError.self) { try Money(minorUnits: .max / 2 + 1, currency: .usd).multiplied(by: 2) }
    }

    @Test("share by basis points rounds as asked, without overflow in between")
    func share() throws {
        let amount = Money(minorUnits: 2000, currency: .usd)
        #expect(try amount.share(basisPoints: 290, rounding: .halfUp).minorUnits == 58)
        let odd = Money(minorUnits: 1050, currency: .usd)  // 2.9 % = 30.45
        #expect(try odd.share(basisPoints: 290, rounding: .down).minorUnits == 30)
        #expect(try odd.share(basisPoints: 290, rounding: .up).minorUnits == 31)
        #expect(try odd.share(basisPoints: 290, rounding: .halfUp).minorUnits == 30)
        let half = Money(minorUnits: 25, currency: .usd)  // 10 % = 2.5
        #expect(try half.share(basisPoints: 1000, rounding: .halfEven).minorUnits == 2)
        #expect(try half.share(basisPoints: 1000, rounding: .halfUp).minorUnits == 3)
        let huge = Money(minorUnits: .max, currency: .usd)
        #expect(try huge.share(basisPoints: 5000, rounding: .down).minorUnits == Int64.max / 2)
        #expect(throws: MoneyError.self) { try huge.share(basisPoints: 20_000, rounding: .down) }
    }

    @Test(
        "description shows exactly the currency's decimals",
        arguments: [
            (Int64(1250), "USD", "12.50 USD"), (500, "JPY", "500 JPY"), (1234, "KWD", "1.234 KWD"),
            (-5, "USD", "-0.05 USD"), (1_500_000_000, "SOL", "1.500000000 SOL"),
            (Int64.min, "USD", "-92233720368547758.08 USD"),
        ])
    func description(minorUnits: Int64, code: String, expected: String) throws {
        #expect(Money(minorUnits: minorUnits, currency: try Currency(code: code)).description == expected)
    }
}

@Suite("Currency")
struct CurrencyTests {
    @Test(
        "exponents follow ISO 4217, and SOL is in lamports",
        arguments: [
            ("JPY", 0), ("USD", 2), ("EUR", 2), ("KWD", 3), ("BHD", 3), ("CLF", 4), ("KRW", 0), ("sol", 9), ("usd", 2),
        ])
    func exponents(code: String, exponent: Int) throws {
        let currency = try Currency(code: code)
        #expect(currency.exponent == exponent)
        #expect(currency.code == code.uppercased())
    }

    @Test("unknown codes are refused by name")
    func unknown() {
        #expect(throws: CurrencyError.unknown("XYZ")) { try Currency(code: "XYZ") }
        #expect(throws: CurrencyError.unknown("")) { try Currency(code: "") }
        #expect(CurrencyError.unknown("US").description.contains("\"US\""))
    }
}
