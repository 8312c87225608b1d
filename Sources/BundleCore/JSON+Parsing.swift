/// A strict RFC 8259 parser over UTF-8 bytes.
///
/// Written by hand rather than through `JSONDecoder` + `Codable`: the generic decoding path
/// resolves protocol conformances at run time, which dominated a function's start.
///
/// What it accepts, decided and tested (JSONParsingEdgeTests):
/// - Text must be UTF-8 (RFC 8259 §8.1): a string holding bytes that are not UTF-8 is refused
///   ("invalid UTF-8"), never silently repaired.
/// - `\u` escapes: a surrogate pair is one scalar (`\ud83d\ude00` → 😀); a lone surrogate is
///   grammatical JSON but no Unicode scalar (§8.2), so it becomes U+FFFD — a customer's text with a
///   broken emoji still arrives.
/// - Numbers: integers that fit in 64 bits stay exact (`.int`); larger integers and every number
///   with a fraction or exponent become `.double` (so 2^63 loses exactness beyond 53 bits); a
///   number with no finite double (`2e555`) is refused.
/// - Nesting deeper than 512 arrays/objects is refused (a stack cannot be exhausted by input).
/// - A repeated member name keeps the last value.
struct JSONParser {
    enum Failure: Error, CustomStringConvertible {
        case unexpected(String, offset: Int)
        var description: String {
            switch self {
            case .unexpected(let what, let offset): return "\(what) at byte \(offset)"
            }
        }
    }

    private let bytes: [UInt8]
    private var i = 0
    private var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func parse(_ bytes: [UInt8]) throws -> JSON {
        var p = JSONParser(bytes)
        p.skipSpace()
        let value = try p.value()
        p.skipSpace()
        guard p.i == bytes.count else { throw Failure.unexpected("trailing characters", offset: p.i) }
        return value
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func value() throws -> JSON {
        guard i < bytes.count else { throw Failure.unexpected("unexpected end of input", offset: i) }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw Failure.unexpected("unexpected character '\(Character(Unicode.Scalar(bytes[i])))'", offset: i)
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard i + w.count <= bytes.count, bytes[i..<(i + w.count)].elementsEqual(w) else {
            throw Failure.unexpected("invalid literal", offset: i)
        }
        i += w.count
    }

    private mutating func object() throws -> JSON {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 512 else { throw Failure.unexpected("nesting too deep", offset: i) }
        i += 1
        // Members are collected in order and the dictionary built once at its final size (no
        // rehashing as it grows); a repeated name keeps the last value.
        var members: [(String, JSON)] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object([:]) }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                throw Failure.unexpected("expected a member name", offset: i)
            }
            let key = try string()
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                throw Failure.unexpected("expected ':'", offset: i)
            }
            i += 1
            skipSpace()
            members.append((key, try value()))
            skipSpace()
            guard i < bytes.count else { throw Failure.unexpected("unterminated object", offset: i) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .object(Dictionary(members, uniquingKeysWith: { _, last in last }))
            }
            throw Failure.unexpected("expected ',' or '}'", offset: i)
        }
    }

    private mutating func array() throws -> JSON {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 512 else { throw Failure.unexpected("nesting too deep", offset: i) }
        i += 1
        var a: [JSON] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
        while true {
            skipSpace()
            a.append(try value())
            skipSpace()
            guard i < bytes.count else { throw Failure.unexpected("unterminated array", offset: i) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            throw Failure.unexpected("expected ',' or ']'", offset: i)
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw Failure.unexpected("short \\u escape", offset: i) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw Failure.unexpected("bad \\u escape", offset: i)
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private mutating func string() throws -> String {
        i += 1  // opening quote
        let start = i
        // Fast path: no escapes.
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                let s = try utf8(bytes[start..<i], at: start)
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw Failure.unexpected("control character in string", offset: i) }
            i += 1
        }
        var out = Array(bytes[start..<i])
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { i += 1; return try utf8(out[...], at: start) }
            if c < 0x20 { throw Failure.unexpected("control character in string", offset: i) }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        if (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    scalar = 0xFFFD
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
            default:
                throw Failure.unexpected("bad escape", offset: i - 1)
            }
        }
        throw Failure.unexpected("unterminated string", offset: start - 1)
    }

    /// The bytes as a String, refusing what is not UTF-8.
    private func utf8(_ raw: ArraySlice<UInt8>, at offset: Int) throws -> String {
        // ASCII needs no validation (the common case for ids, keys and most text).
        if raw.allSatisfy({ $0 < 0x80 }) { return String(decoding: raw, as: UTF8.self) }
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw Failure.unexpected("invalid UTF-8 in string", offset: offset)
        }
        return s
    }

    /// The end of the number starting at `start` (RFC 8259 §6 grammar) and whether it is an
    /// integer (no fraction, no exponent). Shared with `JSONScanner`: one definition of a number.
    static func numberEnd(_ bytes: [UInt8], from start: Int) throws -> (end: Int, isInteger: Bool) {
        var i = start
        var isInteger = true
        func digit(_ k: Int) -> Bool { k < bytes.count && bytes[k] >= 48 && bytes[k] <= 57 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard digit(i) else { throw Failure.unexpected("bad number", offset: start) }
        if bytes[i] == UInt8(ascii: "0") { i += 1 } else { while digit(i) { i += 1 } }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            let f = i
            while digit(i) { i += 1 }
            guard i > f else { throw Failure.unexpected("bad fraction", offset: i) }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let e = i
            while digit(i) { i += 1 }
            guard i > e else { throw Failure.unexpected("bad exponent", offset: i) }
        }
        return (i, isInteger)
    }

    private mutating func number() throws -> JSON {
        let start = i
        let (end, isInteger) = try Self.numberEnd(bytes, from: i)
        i = end
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInteger, let v = Int64(text) { return .int(v) }
        guard let d = Double(text) else { throw Failure.unexpected("bad number", offset: start) }
        // 2e555 is valid JSON text but no finite double: refused rather than turned into infinity
        // (which has no JSON form and would not survive being written back).
        guard d.isFinite else { throw Failure.unexpected("number out of range", offset: start) }
        return .double(d)
    }
}
