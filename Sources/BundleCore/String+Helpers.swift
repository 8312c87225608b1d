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
