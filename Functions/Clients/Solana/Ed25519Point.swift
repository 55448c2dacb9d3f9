/// Whether 32 bytes are a point on the ed25519 curve, as Solana decides it for program-derived addresses (which
/// must not be: no private key can sign for them). Decompression as curve25519-dalek does it: y is the low 255
/// bits, read modulo p = 2^255 − 19; the point exists when (y² − 1) / (d·y² + 1) is a square modulo p.
enum Ed25519Point {
    static func isOnCurve(_ bytes: [UInt8]) -> Bool {
        precondition(bytes.count == 32)
        var y = Field(littleEndian: bytes)
        y.limbs[3] &= 0x7FFF_FFFF_FFFF_FFFF  // the sign of x is not part of y
        y = y.reduced()
        let y2 = y * y
        let u = y2 - Field.one
        let v = Field.d * y2 + Field.one
        // x² = u / v has a root iff u/v is 0 or a square; v is never 0 (−1/d is not a square), and u/v is a square
        // iff u·v is (they differ by the square v²): Euler's criterion, (u·v)^((p−1)/2) ∈ {0, 1}, one exponentiation.
        let legendre = (u * v).power(Field.pMinus1Half)
        return legendre == Field.zero || legendre == Field.one
    }
}

/// Integers modulo p = 2^255 − 19 in four 64-bit limbs, little-endian. Slow and simple: a handful of
/// exponentiations per derived address.
struct Field: Equatable {
    var limbs: Limbs

    /// Four limbs inline (an array would allocate on every operation).
    struct Limbs: Equatable {
        var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64

        init(_ values: [UInt64]) { (l0, l1, l2, l3) = (values[0], values[1], values[2], values[3]) }
        init() { (l0, l1, l2, l3) = (0, 0, 0, 0) }

        subscript(index: Int) -> UInt64 {
            get {
                switch index {
                case 0: l0
                case 1: l1
                case 2: l2
                default: l3
                }
            }
            set {
                switch index {
                case 0: l0 = newValue
                case 1: l1 = newValue
                case 2: l2 = newValue
                default: l3 = newValue
                }
            }
        }
    }

    static let zero = Field(limbs: [0, 0, 0, 0])
    static let one = Field(limbs: [1, 0, 0, 0])
    static let p = Field(limbs: [0xFFFF_FFFF_FFFF_FFED, .max, .max, 0x7FFF_FFFF_FFFF_FFFF])
    /// d = −121665/121666 mod p.
    static let d = Field(limbs: [
        0x75EB_4DCA_1359_78A3, 0x0070_0A4D_4141_D8AB, 0x8CC7_4079_7779_E898, 0x5203_6CEE_2B6F_FE73,
    ])
    static let pMinus1Half = Field(limbs: [0xFFFF_FFFF_FFFF_FFF6, .max, .max, 0x3FFF_FFFF_FFFF_FFFF])

    init(limbs: [UInt64]) { self.limbs = Limbs(limbs) }
    init(limbs: Limbs) { self.limbs = limbs }

    init(littleEndian bytes: [UInt8]) {
        limbs = Limbs()
        for limb in 0..<4 {
            limbs[limb] = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[limb * 8 + $1]) << ($1 * 8) }
        }
    }

    /// The value minus p while it is at least p.
    func reduced() -> Field {
        var value = self
        while !value.isLess(than: Field.p) { value = value.subtracting(Field.p).0 }
        return value
    }

    func isLess(than other: Field) -> Bool {
        for index in stride(from: 3, through: 0, by: -1) where limbs[index] != other.limbs[index] {
            return limbs[index] < other.limbs[index]
        }
        return false
    }

    func subtracting(_ other: Field) -> (Field, borrow: Bool) {
        var result = Limbs()
        var borrow: UInt64 = 0
        for index in 0..<4 {
            let (a, overflow1) = limbs[index].subtractingReportingOverflow(other.limbs[index])
            let (b, overflow2) = a.subtractingReportingOverflow(borrow)
            result[index] = b
            borrow = (overflow1 || overflow2) ? 1 : 0
        }
        return (Field(limbs: result), borrow == 1)
    }

    static func + (lhs: Field, rhs: Field) -> Field {
        var result = Limbs()
        var carry: UInt64 = 0
        for index in 0..<4 {
            let (a, overflow1) = lhs.limbs[index].addingReportingOverflow(rhs.limbs[index])
            let (b, overflow2) = a.addingReportingOverflow(carry)
            result[index] = b
            carry = (overflow1 || overflow2) ? 1 : 0
        }
        // Both below p < 2^255: the sum is below 2^256, no carry out.
        return Field(limbs: result).reduced()
    }

    static func - (lhs: Field, rhs: Field) -> Field {
        let (difference, borrow) = lhs.subtracting(rhs)
        return borrow ? difference + Field.p : difference  // wraps past 2^256 back into range
    }

    static func * (lhs: Field, rhs: Field) -> Field {
        // The 512-bit product, then 2^256 ≡ 38 (mod p) folds the high half down.
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 8) { wide in
            wide.initialize(repeating: 0)
            for i in 0..<4 {
                var carry: UInt64 = 0
                for j in 0..<4 {
                    let (high, low) = lhs.limbs[i].multipliedFullWidth(by: rhs.limbs[j])
                    let (sum1, overflow1) = wide[i + j].addingReportingOverflow(low)
                    let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
                    wide[i + j] = sum2
                    carry = high &+ (overflow1 ? 1 : 0) &+ (overflow2 ? 1 : 0)
                }
                wide[i + 4] = carry
            }
            return fold(wide)
        }
    }

    /// low + 38·high for a 512-bit value, reduced below p.
    static func fold(_ wide: UnsafeMutableBufferPointer<UInt64>) -> Field {
        var value = Limbs()
        var carry: UInt64 = 0
        for index in 0..<4 {
            let (high, low) = wide[index + 4].multipliedFullWidth(by: 38)
            let (sum1, overflow1) = wide[index].addingReportingOverflow(low)
            let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
            value[index] = sum2
            carry = high &+ (overflow1 ? 1 : 0) &+ (overflow2 ? 1 : 0)
        }
        // The few bits above 2^256, folded again (carry·2^256 ≡ carry·38), and once more if that wraps.
        var extra = carry &* 38
        while extra > 0 {
            var index = 0
            while extra > 0 && index < 4 {
                let (sum, overflow) = value[index].addingReportingOverflow(extra)
                value[index] = sum
                extra = overflow ? 1 : 0
                index += 1
            }
            if extra > 0 { extra = 38 }
        }
        return Field(limbs: value).reduced()
    }

    func power(_ exponent: Field) -> Field {
        var result = Field.one
        var base = self
        for position in 0..<4 {
            let limb = exponent.limbs[position]
            var bits = limb
            for _ in 0..<64 {
                if bits & 1 == 1 { result = result * base }
                base = base * base
                bits >>= 1
            }
        }
        return result
    }
}
