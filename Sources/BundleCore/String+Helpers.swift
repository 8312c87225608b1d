#if canImport(Glibc)
import Glibc
#endif

/// Small string helpers that FoundationEssentials does not provide (it keeps process start fast;
/// `trimmingCharacters(in:)` and `replacingOccurrences` live in the full Foundation).
extension StringProtocol {
    /// The text without leading and trailing white space and newlines (Unicode's `White_Space`).
    public func trimmed() -> String {
        // Most text (header values, lines of a file) starts and ends in ASCII: the ASCII white
        // space is skipped byte by byte, and when the first and last bytes left are ASCII the text
        // between them is the answer. A non-ASCII byte at either end takes the scalar walk.
        let fast: String?? = utf8.withContiguousStorageIfAvailable { bytes in
            var s = 0, e = bytes.count
            while s < e, Self.isASCIIWhitespace(bytes[s]) { s += 1 }
            while e > s, Self.isASCIIWhitespace(bytes[e - 1]) { e -= 1 }
            if s == e { return "" }
            guard bytes[s] < 0x80 && bytes[e - 1] < 0x80 else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self)
        }
        if let fast, let text = fast { return text }
        return trimmedScalars()
    }

    private static func isASCIIWhitespace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    private func trimmedScalars() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace {
            end = scalars.index(before: end)
        }
        // Most values have nothing to trim: no copy then.
        if start == scalars.startIndex && end == scalars.endIndex { return String(self) }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[start..<end])
        return String(out)
    }

    /// Every occurrence of `target` replaced by `replacement`.
    /// Matches are whole characters, as `replacing(_:with:)` finds them; text that is all ASCII
    /// without a carriage return (each byte a character of its own) is matched byte by byte.
    public func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return String(self) }
        let text = String(self)
        guard text.includes(target) else { return text }  // no bytes, no characters
        if text.isOneBytePerCharacter && target.utf8.allSatisfy({ $0 < 0x80 }) {
            return text.replacingASCII(Array(target.utf8), with: Array(replacement.utf8))
        }
        return text.replacing(target, with: replacement)
    }
}

extension String {
    /// True when every byte is ASCII and none a carriage return (`"\r\n"` is one character): each
    /// byte is then a character of its own, and byte-wise scans match what character-wise ones do.
    public var isOneBytePerCharacter: Bool { utf8.allSatisfy { $0 < 0x80 && $0 != 0x0D } }

    /// The non-empty pieces between the `separator` bytes (an ASCII character such as `/`), split
    /// on the UTF-8 bytes — what `split(separator:)` gives for paths and patterns, without
    /// building characters.
    public func pieces(separatedBy separator: UInt8) -> [String] {
        var out: [String] = []
        var text = self
        text.withUTF8 { b in
            var start = 0
            for i in 0...b.count where i == b.count || b[i] == separator {
                if i > start {
                    out.append(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
                }
                start = i + 1
            }
        }
        return out
    }

    /// Every byte-wise occurrence of `target` (non-empty) replaced, scanning left to right.
    fileprivate func replacingASCII(_ target: [UInt8], with replacement: [UInt8]) -> String {
        var out: [UInt8] = []
        var text = self
        text.withUTF8 { h in
            out.reserveCapacity(h.count)
            var i = 0
            while i < h.count {
                if h[i] == target[0] && h.count - i >= target.count
                    && memcmp(h.baseAddress! + i, target, target.count) == 0
                {
                    out += replacement
                    i += target.count
                } else {
                    out.append(h[i])
                    i += 1
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True when `needle`'s UTF-8 bytes occur in the text's (an exact, byte-wise match — what a
    /// secret or an id needs — and much cheaper than `contains`, which compares characters).
    public func includes(_ needle: String) -> Bool {
        if needle.isEmpty { return true }
        var hay = self, pin = needle
        return hay.withUTF8 { h in
            pin.withUTF8 { n in
                guard h.count >= n.count else { return false }
                let first = n[0], last = h.count - n.count
                var i = 0
                while i <= last {
                    if h[i] == first && memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 { return true }
                    i += 1
                }
                return false
            }
        }
    }

    /// True when both are the same text but for the case of ASCII letters (header names: RFC 9110
    /// §5.1), compared without allocating.
    public func equalsIgnoringASCIICase(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        for (a, b) in zip(utf8, other.utf8) where a != b {
            let la = a >= 65 && a <= 90 ? a + 32 : a
            let lb = b >= 65 && b <= 90 ? b + 32 : b
            if la != lb { return false }
        }
        return true
    }
}

extension String {
    /// The text of a C character buffer (`fgets`, `strftime`, `inet_ntop`) up to its first NUL, or
    /// all of it without one, as UTF-8 (invalid bytes replaced).
    public init(cBuffer: [CChar]) {
        self.init(decoding: cBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
