/// The masks of `Redactor` on bytes, for text that is all ASCII without a carriage return: there
/// each byte is one character, so these follow `maskPhonesCharacters` and `maskEmailsCharacters`
/// step for step (the tests run both on the same texts) without building characters.
extension Redactor {
    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    private static func isLetter(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
    private static func isWord(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) || b == 0x5F }

    func maskPhonesASCII(_ b: [UInt8]) -> String {
        let n = b.count
        var out: [UInt8] = []
        out.reserveCapacity(n)
        var i = 0
        while i < n {
            var j = i
            var prefix = 0  // bytes of `+` or `%2B` before the digits
            if b[j] == 0x2B {
                prefix = 1
            } else if j + 2 < n, b[j] == 0x25, b[j + 1] == 0x32, b[j + 2] == 0x42 || b[j + 2] == 0x62 {
                prefix = 3
            }
            j += prefix
            var digits: [UInt8] = []
            var k = j
            while k < n {
                if Self.isDigit(b[k]) {
                    digits.append(b[k])
                    k += 1
                } else if b[k] == 0x20 || b[k] == 0x2D || b[k] == 0x2E, k + 1 < n, Self.isDigit(b[k + 1]),
                    !digits.isEmpty
                {
                    k += 1
                } else {
                    break
                }
            }
            let escapeBefore = i >= 3 && b[i - 3] == 0x25
            let insideWord =
                (prefix == 0 && i > 0 && Self.isWord(b[i - 1]) && !escapeBefore)
                || (k < n && (Self.isLetter(b[k]) || b[k] == 0x5F))
            let isDate =
                prefix == 0 && k - j == 10
                && (0..<10).allSatisfy { d in d == 4 || d == 7 ? b[j + d] == 0x2D : Self.isDigit(b[j + d]) }
            if digits.count >= 7, !insideWord, !isDate {
                out += b[i..<(i + prefix)]
                out += digits.prefix(3)
                out += [UInt8](repeating: 0x2A, count: digits.count - 5)
                out += digits.suffix(2)
                i = k
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    func maskEmailsASCII(_ b: [UInt8]) -> String {
        func isLocal(_ c: UInt8) -> Bool {
            Self.isLetter(c) || Self.isDigit(c) || c == 0x2E || c == 0x2B || c == 0x5F || c == 0x2D || c == 0x25
        }
        func isDomain(_ c: UInt8) -> Bool { Self.isLetter(c) || Self.isDigit(c) || c == 0x2E || c == 0x2D }
        let n = b.count
        var out: [UInt8] = []
        out.reserveCapacity(n)
        var i = 0
        while i < n {
            var atLength = 0
            if b[i] == 0x40 {
                atLength = 1
            } else if i + 2 < n, b[i] == 0x25, b[i + 1] == 0x34, b[i + 2] == 0x30 {
                atLength = 3
            }
            if atLength > 0 {
                // The local part is what was already copied to `out`.
                var local = 0
                while local < out.count, isLocal(out[out.count - 1 - local]) { local += 1 }
                var d = i + atLength
                while d < n, isDomain(b[d]) { d += 1 }
                if local > 0, d > i + atLength {
                    let first = out[out.count - local]
                    out.removeLast(local)
                    out.append(first)
                    out += [0x2A, 0x2A, 0x2A]
                    out += b[i..<d]
                    i = d
                    continue
                }
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
