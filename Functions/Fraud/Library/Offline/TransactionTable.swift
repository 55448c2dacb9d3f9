import SmartPayCore
import SmartPayIO

/// A transaction file in the Fraud Detection Handbook's layout, read into memory in time order.
///
/// Columns are found by name in the header; the ones read are `TRANSACTION_ID`, `TX_DATETIME`
/// (`YYYY-MM-DD HH:MM:SS`, UTC), `CUSTOMER_ID`, `TERMINAL_ID`, `TX_AMOUNT` (a decimal in major units, at most the
/// currency's decimals) and `TX_FRAUD` (0 or 1); others are ignored. Customer and terminal ids are interned to
/// dense indices. A malformed line is an error naming the line and the column; nothing is guessed.
public struct TransactionTable: Sendable {
    public var ids: [String] = []
    /// Seconds since the Unix epoch.
    public var times: [Int64] = []
    public var customers: [Int32] = []
    public var terminals: [Int32] = []
    public var amounts: [Int64] = []
    public var frauds: [Bool] = []
    public var customerNames: [String] = []
    public var terminalNames: [String] = []
    public let currency: Currency

    public var count: Int { times.count }

    public static let requiredColumns = [
        "TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_FRAUD",
    ]

    /// Reads a CSV file.
    /// - Throws: `OfflineError` for an unreadable file, a missing column or a malformed line.
    public init(path: String, currency: Currency) throws(OfflineError) {
        try self.init(csv: try Self.readFile(path), name: path, currency: currency)
    }

    static func readFile(_ path: String) throws(OfflineError) -> [UInt8] {
        do { return try FileBytes.read(path) } catch { throw OfflineError(error.description) }
    }

    /// Parses CSV text (named `name` in errors).
    public init(csv bytes: [UInt8], name: String, currency: Currency) throws(OfflineError) {
        self.currency = currency
        var customerIndex: [String: Int32] = [:]
        var terminalIndex: [String: Int32] = [:]
        var lines = CSVLines(bytes)
        guard let header = lines.next() else { throw OfflineError("\(name): the file is empty") }
        let names = header.fields.map { String(decoding: $0, as: UTF8.self) }
        var columns: [Int] = []
        for column in Self.requiredColumns {
            guard let index = names.firstIndex(of: column) else {
                throw OfflineError(
                    "\(name): no \(column) column (the header has: \(names.joined(separator: ", ")))")
            }
            columns.append(index)
        }
        let widest = columns.max()!
        var sorted = true
        while let line = lines.next() {
            let fields = line.fields
            if fields.count == 1 && fields[0].isEmpty { continue }
            guard fields.count > widest else {
                throw OfflineError("\(name):\(line.number): \(fields.count) fields, expected \(names.count)")
            }
            func text(_ column: Int) -> String { String(decoding: fields[columns[column]], as: UTF8.self) }
            func fail(_ column: Int, _ why: String) -> OfflineError {
                OfflineError("\(name):\(line.number): \(Self.requiredColumns[column]): \(why), got \"\(text(column))\"")
            }
            guard let time = Self.parseDateTime(fields[columns[1]]) else {
                throw fail(1, "expected YYYY-MM-DD HH:MM:SS")
            }
            guard let amount = Self.parseDecimal(fields[columns[4]], exponent: currency.exponent) else {
                throw fail(4, "expected a non-negative decimal with at most \(currency.exponent) decimals")
            }
            let fraud: Bool
            switch text(5) {
            case "0": fraud = false
            case "1": fraud = true
            default: throw fail(5, "expected 0 or 1")
            }
            let customer = text(2)
            let terminal = text(3)
            guard !customer.isEmpty else { throw fail(2, "expected an id") }
            guard !terminal.isEmpty else { throw fail(3, "expected an id") }
            let customerID = Self.intern(customer, &customerIndex, &customerNames)
            let terminalID = Self.intern(terminal, &terminalIndex, &terminalNames)
            if let last = times.last, time < last { sorted = false }
            ids.append(text(0))
            times.append(time)
            customers.append(customerID)
            terminals.append(terminalID)
            amounts.append(amount)
            frauds.append(fraud)
        }
        if !sorted { sortByTime() }
    }

    /// The dense index of `name`, adding it when new.
    static func intern(_ name: String, _ index: inout [String: Int32], _ names: inout [String]) -> Int32 {
        if let known = index[name] { return known }
        let id = Int32(names.count)
        index[name] = id
        names.append(name)
        return id
    }

    /// The amount of row `index` in major units, as a model input.
    public func majorAmount(_ index: Int) -> Double {
        Double(amounts[index]) / Double(currency.minorUnitsPerMajor)
    }

    /// Replays the file in time order (a stable sort keeps rows of the same second in file order).
    mutating func sortByTime() {
        let order = times.indices.sorted { times[$0] != times[$1] ? times[$0] < times[$1] : $0 < $1 }
        ids = order.map { ids[$0] }
        times = order.map { times[$0] }
        customers = order.map { customers[$0] }
        terminals = order.map { terminals[$0] }
        amounts = order.map { amounts[$0] }
        frauds = order.map { frauds[$0] }
    }

    /// `YYYY-MM-DD HH:MM:SS` (or with a `T`) as seconds since the epoch, UTC.
    static func parseDateTime(_ field: ArraySlice<UInt8>) -> Int64? {
        let bytes = Array(field)
        guard bytes.count == 19, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x20 || bytes[10] == 0x54,
            bytes[13] == 0x3A, bytes[16] == 0x3A
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let digit = bytes[index] &- 48
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        return Timestamp.days(fromCivil: year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
    }

    /// A non-negative decimal (`57.16`, `12`, `0.5`) as minor units with `exponent` decimals; nil when malformed
    /// or more precise than the currency.
    static func parseDecimal(_ field: ArraySlice<UInt8>, exponent: Int) -> Int64? {
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var seenDigit = false
        var inFraction = false
        for byte in field {
            if byte == 0x2E {
                guard !inFraction else { return nil }
                inFraction = true
                continue
            }
            let digit = byte &- 48
            guard digit < 10 else { return nil }
            seenDigit = true
            if inFraction {
                fractionDigits += 1
                guard fractionDigits <= exponent else {
                    if digit == 0 { fractionDigits -= 1; continue }
                    return nil
                }
                fraction = fraction * 10 + Int64(digit)
            } else {
                let (product, overflow) = whole.multipliedReportingOverflow(by: 10)
                guard !overflow, product <= Int64.max / 1_000_000_000 else { return nil }
                whole = product + Int64(digit)
            }
        }
        guard seenDigit else { return nil }
        var scale: Int64 = 1
        for _ in 0..<exponent { scale *= 10 }
        for _ in fractionDigits..<exponent { fraction *= 10 }
        return whole * scale + fraction
    }
}

/// Calendar days as the offline commands read and print them (`YYYY-MM-DD`, UTC).
enum CivilDate {
    /// `YYYY-MM-DD` for a day number.
    static func format(daysSinceEpoch days: Int64) -> String {
        String(Timestamp(millisecondsSinceEpoch: days * 86_400_000).format(fractional: false).prefix(10))
    }

    /// `YYYY-MM-DD` as a day number; nil when malformed.
    static func parseDay(_ text: String) -> Int64? {
        TransactionTable.parseDateTime(ArraySlice(Array((text + " 00:00:00").utf8))).map { $0 / 86_400 }
    }

    /// `YYYY-MM-DD HH:MM:SS` for seconds since the epoch, as transaction files write it.
    static func formatDateTime(_ seconds: Int64) -> String {
        Timestamp(millisecondsSinceEpoch: seconds * 1000).format(fractional: false, separator: " ", zone: "")
    }
}

/// Lines of CSV text split into fields (no quoting: the handbook's files have none; a quote is an error upstream as
/// a malformed number or date).
struct CSVLines {
    struct Line {
        let number: Int
        let fields: [ArraySlice<UInt8>]
    }

    let bytes: [UInt8]
    var index = 0
    var number = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func next() -> Line? {
        guard index < bytes.count else { return nil }
        number += 1
        var fields: [ArraySlice<UInt8>] = []
        var start = index
        while index < bytes.count && bytes[index] != 0x0A {
            if bytes[index] == 0x2C {
                fields.append(bytes[start..<index])
                start = index + 1
            }
            index += 1
        }
        var end = index
        if end > start && bytes[end - 1] == 0x0D { end -= 1 }
        fields.append(bytes[start..<end])
        index += 1
        return Line(number: number, fields: fields)
    }
}

/// Why an offline command failed.
public struct OfflineError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
