import SmartPayCore
import SmartPayIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `fraud` binary's offline commands, beside the function itself:
///
///     fraud features --transactions TX.csv --out FEATURES.csv [--currency USD]
///     fraud evaluate --transactions TX.csv --model M.json --test-from D1 --test-to D2 [--out SCORES.csv]
///                    [--delay-days 7] [--train-days 7] [--top 100] [--currency USD]
///     fraud blocklist add|remove|check KIND VALUE      (REDIS_URL; KIND: card, bin, ip, email, device)
///     fraud blocklist list KIND
///
/// Any other arguments (an event file, `-`, none) run the function as usual.
public enum FraudTools {
    public static let commands: Set<String> = ["features", "evaluate", "blocklist"]

    /// Runs a tool command and exits; returns at once when the arguments are not one.
    public static func runIfRequested(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) async {
        guard let command = arguments.first, commands.contains(command) else { return }
        do {
            switch command {
            case "features": try features(ToolOptions(Array(arguments.dropFirst()), command: command))
            case "evaluate": try evaluate(ToolOptions(Array(arguments.dropFirst()), command: command))
            default: try await BlocklistTool.run(Array(arguments.dropFirst()))
            }
            exit(0)
        } catch let error as ToolUsageError {
            printError("fraud \(command): \(error.description)")
            exit(2)
        } catch {
            printError("fraud \(command): \(error)")
            exit(1)
        }
    }

    static func features(_ options: ToolOptions) throws {
        try options.allow(["transactions", "out", "currency"])
        let started = ContinuousClock.now
        let table = try TransactionTable(
            path: try options.required("transactions"), currency: try options.currency())
        let out = try options.required("out")
        let writer = try AtomicFileWriter(path: out)
        try writer.write(
            "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_FRAUD,"
                + FraudFeature.schema.joined(separator: ",") + "\n")
        var line: [UInt8] = []
        line.reserveCapacity(512)
        try FeatureReplay(table: table).run { row, vector in
            line.removeAll(keepingCapacity: true)
            line.append(contentsOf: table.ids[row].utf8)
            line.append(0x2C)
            line.append(contentsOf: formatDateTime(table.times[row]).utf8)
            line.append(0x2C)
            line.append(contentsOf: table.customerNames[Int(table.customers[row])].utf8)
            line.append(0x2C)
            line.append(contentsOf: table.terminalNames[Int(table.terminals[row])].utf8)
            line.append(0x2C)
            line.append(table.frauds[row] ? 0x31 : 0x30)
            for value in vector {
                line.append(0x2C)
                if !value.isNaN { line.append(contentsOf: value.description.utf8) }
            }
            line.append(0x0A)
            try writer.write(bytes: line)
        }
        try writer.commit()
        printError(
            "fraud features: \(table.count) transactions -> \(out) (\(FraudFeature.allCases.count) features) in "
                + "\(seconds(since: started)) s")
    }

    static func evaluate(_ options: ToolOptions) throws {
        try options.allow([
            "transactions", "model", "test-from", "test-to", "out", "delay-days", "train-days", "top", "currency",
        ])
        let modelPath = try options.required("model")
        let model = try FraudModel.load(path: modelPath)
        let table = try TransactionTable(
            path: try options.required("transactions"), currency: try options.currency())
        var evaluation = Evaluation(testFrom: try options.day("test-from"), testTo: try options.day("test-to"))
        guard evaluation.testTo >= evaluation.testFrom else {
            throw ToolUsageError("--test-to is before --test-from")
        }
        evaluation.delayDays = Int64(try options.integer("delay-days", default: 7, minimum: 0))
        evaluation.trainDays = Int64(try options.integer("train-days", default: 7, minimum: 1))
        evaluation.topK = try options.integer("top", default: 100, minimum: 1)
        let writer = try options["out"].map { path throws in try AtomicFileWriter(path: path) }
        try writer?.write("TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_FRAUD,SCORE\n")
        let result = try evaluation.run(table: table, model: model.trees) { row, score in
            try writer?.write(
                "\(table.ids[row]),\(formatDateTime(table.times[row])),"
                    + "\(table.customerNames[Int(table.customers[row])]),"
                    + "\(table.terminalNames[Int(table.terminals[row])]),\(table.frauds[row] ? 1 : 0),\(score)\n")
        }
        try writer?.commit()
        print(report(result, evaluation: evaluation, model: model))
    }

    static func report(_ result: Evaluation.Result, evaluation: Evaluation, model: FraudModel) -> String {
        func cell(_ value: Double?) -> String {
            guard let value else { return "    n/a" }
            let thousandths = Int((value * 1000).rounded())
            let text = "\(thousandths / 1000).\(String(thousandths % 1000).leftPadded(3, with: "0"))"
            return text.leftPadded(7, with: " ")
        }
        let from = CivilDate.format(daysSinceEpoch: evaluation.testFrom)
        let to = CivilDate.format(daysSinceEpoch: evaluation.testTo)
        let trainFrom = CivilDate.format(
            daysSinceEpoch: evaluation.testFrom - evaluation.delayDays - evaluation.trainDays)
        var lines = [
            "test \(from)…\(to): \(result.transactions) transactions, \(result.frauds) frauds; "
                + "\(result.removedCards) cards known compromised removed (training from \(trainFrom), "
                + "\(evaluation.delayDays) days' delay)",
            "model \(model.version): \(model.trees.treeCount) trees, \(model.trees.featureNames.count) features",
            "",
            "".rightPadded(38) + "AUC ROC   Average precision   Card Precision@\(evaluation.topK)",
        ]
        func row(_ name: String, _ auc: Double?, _ ap: Double?, _ cp: Double?) -> String {
            name.rightPadded(38) + cell(auc) + "".rightPadded(13) + cell(ap) + "".rightPadded(14) + cell(cp)
        }
        lines.append(row("SmartPay (this model)", result.auc, result.averagePrecision, result.cardPrecision))
        for published in Evaluation.handbook {
            lines.append(row(published.name, published.auc, published.ap, published.cp))
        }
        if let auc = result.auc, let ap = result.averagePrecision, let cp = result.cardPrecision {
            let beaten = Evaluation.handbook.filter { auc > $0.auc && ap > $0.ap && cp > $0.cp }.count
            lines.append("")
            lines.append(
                "beats \(beaten) of \(Evaluation.handbook.count) published results on all three measures"
                    + " (the handbook's numbers are for its test week 2018-08-08…14)")
        }
        return lines.joined(separator: "\n")
    }

    static func seconds(since start: ContinuousClock.Instant) -> String {
        let elapsed = start.duration(to: .now)
        let tenths = elapsed.components.seconds * 10 + elapsed.components.attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func formatDateTime(_ seconds: Int64) -> String {
        let days = FeatureExtractor.floorDivide(seconds, 86_400)
        let rest = seconds - days * 86_400
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : String(value) }
        return
            "\(CivilDate.format(daysSinceEpoch: days)) \(two(rest / 3_600)):\(two(rest % 3_600 / 60)):\(two(rest % 60))"
    }

    static func printError(_ message: String) {
        var bytes = Array(message.utf8)
        bytes.append(0x0A)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress!, $0.count) }
    }
}

/// A command line that is wrong: exit status 2.
struct ToolUsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `--name value` options.
struct ToolOptions {
    let values: [String: String]

    init(_ arguments: [String], command: String) throws(ToolUsageError) {
        var values: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw ToolUsageError("unexpected argument \"\(argument)\" (options are --name value)")
            }
            var name = String(argument.dropFirst(2))
            let value: String
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else {
                guard index + 1 < arguments.count else { throw ToolUsageError("--\(name) needs a value") }
                index += 1
                value = arguments[index]
            }
            guard values[name] == nil else { throw ToolUsageError("--\(name) is given twice") }
            values[name] = value
            index += 1
        }
        self.values = values
    }

    subscript(name: String) -> String? { values[name] }

    func allow(_ names: Set<String>) throws(ToolUsageError) {
        if let unknown = values.keys.sorted().first(where: { !names.contains($0) }) {
            throw ToolUsageError(
                "unknown option --\(unknown) (known: \(names.sorted().map { "--" + $0 }.joined(separator: ", ")))")
        }
    }

    func required(_ name: String) throws(ToolUsageError) -> String {
        guard let value = values[name], !value.isEmpty else { throw ToolUsageError("--\(name) is required") }
        return value
    }

    func integer(_ name: String, default fallback: Int, minimum: Int) throws(ToolUsageError) -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), value >= minimum else {
            throw ToolUsageError("--\(name): expected an integer ≥ \(minimum), got \"\(text)\"")
        }
        return value
    }

    func day(_ name: String) throws(ToolUsageError) -> Int64 {
        let text = try required(name)
        guard let day = CivilDate.parseDay(text) else {
            throw ToolUsageError("--\(name): expected a date YYYY-MM-DD, got \"\(text)\"")
        }
        return day
    }

    func currency() throws(ToolUsageError) -> Currency {
        let code = values["currency"] ?? "USD"
        do {
            return try Currency(code: code)
        } catch {
            throw ToolUsageError("--currency: \(error)")
        }
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character) -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    func rightPadded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
