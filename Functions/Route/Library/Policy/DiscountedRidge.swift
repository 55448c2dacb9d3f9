#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A ridge regression that forgets: every step multiplies the evidence by γ and returns (1 − γ)·λ of the prior,
/// so old outcomes fade with a half-life of ln 2 / (1 − γ) steps and a gateway that has not been tried for a while
/// becomes uncertain again (discounted LinUCB, Russac, Vernade and Cappé 2019). Evidence decays lazily: by γ^Δ for
/// the Δ steps since it was last touched.
public struct DiscountedRidge: Sendable {
    public let dimension: Int
    public let gamma: Double
    public let lambda: Double
    /// Row-major d × d: the design matrix A and its inverse.
    var a: [Double]
    var inverse: [Double]
    var b: [Double]
    /// θ = A⁻¹ b, kept in step with A and b.
    var theta: [Double]
    var lastStep: Int
    /// The discounted number of observations (Σ γ^age).
    public private(set) var weight: Double = 0

    public init(dimension: Int, gamma: Double, lambda: Double) {
        self.dimension = dimension
        self.gamma = gamma
        self.lambda = lambda
        a = [Double](repeating: 0, count: dimension * dimension)
        inverse = a
        for i in 0..<dimension {
            a[i * dimension + i] = lambda
            inverse[i * dimension + i] = 1 / lambda
        }
        b = [Double](repeating: 0, count: dimension)
        theta = b
        lastStep = 0
    }

    /// The statistics as stored: `[d, lastStep, weight] ++ A (row-major) ++ b`, little-endian doubles — the layout
    /// the Redis model store's Lua script reads and writes.
    public var packed: [UInt8] {
        var values = [Double(dimension), Double(lastStep), weight]
        values += a
        values += b
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 8)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// Restores packed statistics (A⁻¹ and θ recomputed).
    /// - Returns: nil when the bytes are not statistics of this dimension.
    public init?(packed bytes: [UInt8], gamma: Double, lambda: Double) {
        guard bytes.count % 8 == 0, bytes.count >= 24 else { return nil }
        var values: [Double] = []
        values.reserveCapacity(bytes.count / 8)
        for offset in stride(from: 0, to: bytes.count, by: 8) {
            var bits: UInt64 = 0
            for index in 0..<8 { bits |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
            values.append(Double(bitPattern: bits))
        }
        let d = Int(values[0])
        guard d > 0, values.count == 3 + d * d + d, values.allSatisfy(\.isFinite) else { return nil }
        self.init(dimension: d, gamma: gamma, lambda: lambda)
        lastStep = Int(values[1])
        weight = values[2]
        a = Array(values[3..<(3 + d * d)])
        b = Array(values[(3 + d * d)...])
        refresh()
    }

    /// The estimate θ·x and the confidence width √(xᵀ A⁻¹ x).
    public func predict(_ x: [Double]) -> (mean: Double, width: Double) {
        var mean = 0.0
        var quadratic = 0.0
        for i in 0..<dimension where x[i] != 0 {
            mean += theta[i] * x[i]
            var row = 0.0
            let base = i * dimension
            for j in 0..<dimension where x[j] != 0 { row += inverse[base + j] * x[j] }
            quadratic += x[i] * row
        }
        return (mean, quadratic > 0 ? quadratic.squareRoot() : 0)
    }

    /// Forgets up to `step` (no-op when nothing has passed).
    public mutating func decay(to step: Int) {
        let elapsed = step - lastStep
        guard elapsed > 0 else { return }
        lastStep = step
        guard gamma < 1 else { return }
        let g = pow(gamma, Double(elapsed))
        for index in a.indices { a[index] *= g }
        for i in 0..<dimension { a[i * dimension + i] += (1 - g) * lambda }
        for i in b.indices { b[i] *= g }
        weight *= g
        refresh()
    }

    /// Adds one observation at `step`.
    public mutating func update(_ x: [Double], _ y: Double, step: Int) {
        decay(to: step)
        for i in 0..<dimension where x[i] != 0 {
            b[i] += y * x[i]
            for j in 0..<dimension where x[j] != 0 { a[i * dimension + j] += x[i] * x[j] }
        }
        weight += 1
        refresh()
    }

    /// Recomputes A⁻¹ (Cholesky: A is symmetric positive definite, λ > 0) and θ.
    mutating func refresh() {
        let d = dimension
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var sum = a[i * d + j]
                for k in 0..<j { sum -= l[i * d + k] * l[j * d + k] }
                l[i * d + j] = i == j ? max(sum, 1e-12).squareRoot() : sum / l[j * d + j]
            }
        }
        // A⁻¹ column by column: solve L y = e, then Lᵀ z = y.
        var column = [Double](repeating: 0, count: d)
        for c in 0..<d {
            for i in 0..<d {
                var sum = i == c ? 1.0 : 0.0
                for k in 0..<i { sum -= l[i * d + k] * column[k] }
                column[i] = sum / l[i * d + i]
            }
            for i in stride(from: d - 1, through: 0, by: -1) {
                var sum = column[i]
                for k in (i + 1)..<d { sum -= l[k * d + i] * column[k] }
                column[i] = sum / l[i * d + i]
            }
            for i in 0..<d { inverse[i * d + c] = column[i] }
        }
        for i in 0..<d {
            var sum = 0.0
            for j in 0..<d { sum += inverse[i * d + j] * b[j] }
            theta[i] = sum
        }
    }
}
