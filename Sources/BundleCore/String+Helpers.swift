#if canImport(Glibc)
import Glibc
#endif

/// Small string helpers that FoundationEssentials does not provide (it keeps process start fast;
/// `trimmingCharacters(in:)` and `replacingOccurrences` live in the full Foundation).
extension StringProtocol {
    /// The text without leading and trailing white space and newlines.
    public func trimmed() -> String {
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
    public func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return String(self) }
        return String(self).replacing(target, with: replacement)
    }
}

extension String {
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
