/// The character encoding an SMS is sent in.
public enum SMSEncoding: String, Sendable, Equatable {
    /// The GSM 03.38 7-bit default alphabet (160 characters in one part, 153 per part when split).
    case gsm7 = "GSM-7"
    /// UTF-16 (70 code units in one part, 67 per part when split).
    case ucs2 = "UCS-2"
}

/// Counts the parts (segments) an SMS body is carried in.
///
/// A body made only of GSM-7 characters is GSM-7: the basic characters cost one septet, the
/// extension characters (`^ { } \ [ ~ ] |`, `€` and form feed) cost two. One character outside the
/// alphabet switches the whole message to UCS-2, counted in UTF-16 code units. A single-part message
/// holds 160 septets (GSM-7) or 70 units (UCS-2); a longer one is split into parts of 153 septets
/// or 67 units (the rest carries the concatenation header), never splitting an extension
/// character's escape pair or a surrogate pair across parts. An empty body is one segment.
public enum SMSSegments {
    /// The basic GSM-7 alphabet (one septet each).
    static let basic: Set<Unicode.Scalar> = {
        let chars =
            "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
        return Set(chars.unicodeScalars)
    }()

    /// The GSM-7 extension table (two septets each: escape + character).
    static let extended: Set<Unicode.Scalar> = Set("^{}\\[~]|€\u{0C}".unicodeScalars)

    /// The encoding `text` is sent in.
    public static func encoding(for text: String) -> SMSEncoding {
        for s in text.unicodeScalars where !basic.contains(s) && !extended.contains(s) { return .ucs2 }
        return .gsm7
    }

    /// The number of segments and the encoding of `text`.
    public static func count(for text: String) -> (segments: Int, encoding: SMSEncoding) {
        let enc = encoding(for: text)
        switch enc {
        case .gsm7:
            let costs = text.unicodeScalars.map { extended.contains($0) ? 2 : 1 }
            return (parts(costs, single: 160, perPart: 153), enc)
        case .ucs2:
            // One cost entry per scalar: 1 UTF-16 unit, or 2 for a surrogate pair (kept together).
            let costs = text.unicodeScalars.map { $0.utf16.count }
            return (parts(costs, single: 70, perPart: 67), enc)
        }
    }

    /// Packs indivisible items of the given costs into parts.
    static func parts(_ costs: [Int], single: Int, perPart: Int) -> Int {
        let total = costs.reduce(0, +)
        if total <= single { return 1 }
        var parts = 1
        var used = 0
        for c in costs {
            if used + c > perPart { parts += 1; used = 0 }
            used += c
        }
        return parts
    }
}
