import SmartPayCore
import SmartPayIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The trained fraud model as the function uses it: the trees, a version, and the tier thresholds chosen when it
/// was evaluated (stored by the training script as booster attributes).
public struct FraudModel: Sendable {
    public let trees: BoostedTreesModel
    /// `smartpay_model_version` from the model file, else a digest of its bytes.
    public let version: String
    /// The thresholds the training script chose from the evaluation, when it stored them.
    public let reviewThreshold: Double?
    public let declineThreshold: Double?

    public init(json bytes: [UInt8]) throws(ModelError) {
        trees = try BoostedTreesModel(json: bytes, schema: FraudFeature.schema)
        version = trees.attributes["smartpay_model_version"] ?? "xgb-\(Self.digest(bytes))"
        reviewThreshold = trees.attributes["smartpay_review_threshold"].flatMap(Double.init)
        declineThreshold = trees.attributes["smartpay_decline_threshold"].flatMap(Double.init)
    }

    public static func load(path: String) throws(ModelError) -> FraudModel {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path)
        } catch {
            throw ModelError(error.description)
        }
        do {
            return try FraudModel(json: bytes)
        } catch {
            throw ModelError("\(path): \(error.description)")
        }
    }

    /// Where the model file is: `FRAUD_MODEL_PATH`, else `fraud-model.json` beside the executable (the container
    /// image), else the repository's `Functions/Fraud/model/fraud-model.json` from the working directory or above
    /// the executable's build folder.
    public static func locate(configured: String?) throws(ModelError) -> String {
        if let configured, !configured.isEmpty { return configured }
        var candidates: [String] = []
        if let executable = executableDirectory() {
            candidates.append(executable + "/fraud-model.json")
            // .build/<configuration>/fraud → the repository root.
            var directory = executable
            for _ in 0..<4 {
                directory = parent(directory)
                candidates.append(directory + "/Functions/Fraud/model/fraud-model.json")
            }
        }
        candidates.append("Functions/Fraud/model/fraud-model.json")
        for candidate in candidates where access(candidate, R_OK) == 0 { return candidate }
        throw ModelError(
            "no fraud model found (set FRAUD_MODEL_PATH; looked in \(candidates.joined(separator: ", ")))")
    }

    static func executableDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return parent(String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// FNV-1a, 48 bits in hex: enough to tell model files apart in a response.
    static func digest(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return Hex.encode(withUnsafeBytes(of: (hash >> 16).bigEndian) { Array($0.suffix(6)) })
    }
}
