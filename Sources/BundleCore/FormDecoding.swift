/// `application/x-www-form-urlencoded` bodies (Twilio posts its webhooks this way).
public enum FormDecoding {
    /// The name/value pairs in order. `+` is a space; `%XX` escapes are decoded as UTF-8; a
    /// malformed escape is kept literally.
    public static func pairs(_ body: some Collection<UInt8>) -> [(String, String)] {
        var result: [(String, String)] = []
        for part in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let eq = part.firstIndex(of: UInt8(ascii: "=")) {
                result.append((decode(part[part.startIndex..<eq]), decode(part[part.index(after: eq)...])))
            } else {
                result.append((decode(part), ""))
            }
        }
        return result
    }

    /// Percent-decodes one component, `+` meaning space.
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i != bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"),
                let h1 = bytes.index(i, offsetBy: 1, limitedBy: bytes.endIndex), h1 != bytes.endIndex,
                let h2 = bytes.index(i, offsetBy: 2, limitedBy: bytes.endIndex), h2 != bytes.endIndex,
                let hi = hex(bytes[h1]), let lo = hex(bytes[h2])
            {
                out.append(hi << 4 | lo)
                i = h2
            } else {
                out.append(b)
            }
            i = bytes.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-encodes for a form body or query component (unreserved characters kept, space as %20).
    public static func encode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hexDigits = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hexDigits[Int(b >> 4)])
                out.unicodeScalars.append(hexDigits[Int(b & 0xF)])
            }
        }
        return out
    }

    /// Builds a form body from pairs.
    public static func body(_ pairs: [(String, String)]) -> String {
        pairs.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
