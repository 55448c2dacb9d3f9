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
        // x² = u / v; it has a root iff (u·v^(p−2))^((p−1)/2) is 0 or 1 (Euler's criterion).
        let x2 = u * v.power(Field.pMinus2)
        let legendre = x2.power(Field.pMinus1Half)
        return legendre == Field.zero || legendre == Field.one
    }
}

/// Integers modulo p = 2^255 − 19 in four 64-bit limbs, little-endian. Slow and simple: a handful of
/// exponentiations per derived address.
struct Field: Equatable {
    var limbs: [UInt64]

    static let zero = Field(limbs: [0, 0, 0, 0])
    static let one = Field(limbs: [1, 0, 0, 0])
    static let p = Field(limbs: [0xFFFF_FFFF_FFFF_FFED, .max, .max, 0x7FFF_FFFF_FFFF_FFFF])
    /// d = −121665/121666 mod p.
    static let d = Field(limbs: [
        0x75EB_4DCA_1359_78A3, 0x0070_0A4D_4141_D8AB, 0x8CC7_4079_7779_E898, 0x5203_6CEE_2B6F_FE73,
    ])
    static let pMinus2 = Field(limbs: [0xFFFF_FFFF_FFFF_FFEB, .max, .max, 0x7FFF_FFFF_FFFF_FFFF])
    static let pMinus1Half = Field(limbs: [0xFFFF_FFFF_FFFF_FFF6, .max, .max, 0x3FFF_FFFF_FFFF_FFFF])

    init(limbs: [UInt64]) { self.limbs = limbs }

    init(littleEndian bytes: [UInt8]) {
        limbs = (0..<4).map { limb in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[limb * 8 + $1]) << ($1 * 8) }
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
        var result = [UInt64](repeating: 0, count: 4)
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
        var result = [UInt64](repeating: 0, count: 4)
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
        var wide = [UInt64](repeating: 0, count: 8)
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

    /// low + 38·high for a 512-bit value, reduced below p.
    static func fold(_ wide: [UInt64]) -> Field {
        var result = [UInt64](repeating: 0, count: 5)
        var carry: UInt64 = 0
        for index in 0..<4 {
            let (high, low) = wide[index + 4].multipliedFullWidth(by: 38)
            let (sum1, overflow1) = wide[index].addingReportingOverflow(low)
            let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
            result[index] = sum2
            carry = high &+ (overflow1 ? 1 : 0) &+ (overflow2 ? 1 : 0)
        }
        result[4] = carry
        // Fold the few bits above 2^256 again: carry·2^256 ≡ carry·38.
        var value = result[0..<4].map { $0 }
        var extra = result[4] &* 38
        var index = 0
        while extra > 0 && index < 4 {
            let (sum, overflow) = value[index].addingReportingOverflow(extra)
            value[index] = sum
            extra = overflow ? 1 : 0
            index += 1
        }
        if extra > 0 {  // wrapped past 2^256 once more: add 38
            var more: UInt64 = 38
            for position in 0..<4 where more > 0 {
                let (sum, overflow) = value[position].addingReportingOverflow(more)
                value[position] = sum
                more = overflow ? 1 : 0
            }
        }
        return Field(limbs: value).reduced()
    }

    func power(_ exponent: Field) -> Field {
        var result = Field.one
        var base = self
        for limb in exponent.limbs {
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
