import FunctionKit
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
            case "features": try features(CommandOptions(Array(arguments.dropFirst())))
            case "evaluate": try evaluate(CommandOptions(Array(arguments.dropFirst())))
            default: try await BlocklistTool.run(Array(arguments.dropFirst()))
            }
            exit(0)
        } catch let error as CommandUsageError {
            CommandOptions.printError("fraud \(command): \(error.description)")
            exit(2)
        } catch {
            CommandOptions.printError("fraud \(command): \(error)")
            exit(1)
        }
    }

    static func features(_ options: CommandOptions) throws {
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
            line.append(contentsOf: CivilDate.formatDateTime(table.times[row]).utf8)
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
        CommandOptions.printError(
            "fraud features: \(table.count) transactions -> \(out) (\(FraudFeature.allCases.count) features) in "
                + "\(seconds(since: started)) s")
    }

    static func evaluate(_ options: CommandOptions) throws {
        try options.allow([
            "transactions", "model", "test-from", "test-to", "out", "delay-days", "train-days", "top", "currency",
        ])
        let modelPath = try options.required("model")
        let model = try FraudModel.load(path: modelPath)
        let table = try TransactionTable(
            path: try options.required("transactions"), currency: try options.currency())
        var evaluation = Evaluation(testFrom: try options.day("test-from"), testTo: try options.day("test-to"))
        guard evaluation.testTo >= evaluation.testFrom else {
            throw CommandUsageError("--test-to is before --test-from")
        }
        evaluation.delayDays = Int64(try options.integer("delay-days", default: 7, minimum: 0))
        evaluation.trainDays = Int64(try options.integer("train-days", default: 7, minimum: 1))
        evaluation.topK = try options.integer("top", default: 100, minimum: 1)
        let writer = try options["out"].map { path throws in try AtomicFileWriter(path: path) }
        try writer?.write("TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_FRAUD,SCORE\n")
        let result = try evaluation.run(table: table, model: model.trees) { row, score in
            try writer?.write(
                "\(table.ids[row]),\(CivilDate.formatDateTime(table.times[row])),"
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

}

/// The fraud commands' own options.
extension CommandOptions {
    func day(_ name: String) throws(CommandUsageError) -> Int64 {
        let text = try required(name)
        guard let day = CivilDate.parseDay(text) else {
            throw CommandUsageError("--\(name): expected a date YYYY-MM-DD, got \"\(text)\"")
        }
        return day
    }

    func currency() throws(CommandUsageError) -> Currency {
        let code = values["currency"] ?? "USD"
        do {
            return try Currency(code: code)
        } catch {
            throw CommandUsageError("--currency: \(error)")
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
