/// Reads a few members of a JSON document without building it: the whole text is checked as
/// strictly as `JSON.parse` checks it (RFC 8259 grammar, UTF-8 strings, finite numbers, depth 512),
/// and only the values at the requested paths are decoded.
///
/// For a filter that decides on one field (`brand-filter` on `detail.brand_id`) this costs a pass
/// over the bytes instead of a tree of dictionaries per event.
public struct JSONScanner {
    /// What the document's top level is.
    public enum Root: Sendable, Equatable { case object, array, scalar }

    /// The paths' values (nil where a path is absent or leads into a non-object) and the root kind.
    /// Throws `RuntimeError` `.invalidEvent` for text `JSON.parse` would refuse.
    public static func scan(_ bytes: [UInt8], paths: [[String]]) throws -> (root: Root, values: [JSON?]) {
        var scanner = JSONScanner(bytes: bytes, paths: paths)
        do {
            scanner.skipSpace()
            guard scanner.i < bytes.count else { throw Failure("unexpected end of input", at: scanner.i) }
            let root: Root =
                bytes[scanner.i] == UInt8(ascii: "{")
                ? .object : bytes[scanner.i] == UInt8(ascii: "[") ? .array : .scalar
            try scanner.value(candidates: scanner.everyPath, level: 0, depth: 0)
            scanner.skipSpace()
            guard scanner.i == bytes.count else { throw Failure("trailing characters", at: scanner.i) }
            return (root, scanner.found)
        } catch let failure as Failure {
            throw RuntimeError(.invalidEvent, "body is not valid JSON: \(failure.what) at byte \(failure.offset)")
        }
    }

    struct Failure: Error {
        let what: String
        let offset: Int
        init(_ what: String, at offset: Int) {
            self.what = what
            self.offset = offset
        }
    }

    private let bytes: [UInt8]
    /// The requested paths as member-name bytes (at most 64 paths).
    private let names: [[[UInt8]]]
    private var found: [JSON?]
    private var i = 0

    private init(bytes: [UInt8], paths: [[String]]) {
        self.bytes = bytes
        self.names = paths.prefix(64).map { $0.map { Array($0.utf8) } }
        self.found = Array(repeating: nil, count: paths.count)
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    /// The paths (a bit each) that continue with the member `name` after `level` matched names.
    private func following(_ candidates: UInt64, level: Int, name: ArraySlice<UInt8>) -> UInt64 {
        var next: UInt64 = 0
        var rest = candidates
        while rest != 0 {
            let p = rest.trailingZeroBitCount
            rest &= rest - 1
            if names[p].count > level, names[p][level].elementsEqual(name) { next |= 1 << UInt64(p) }
        }
        return next
    }

    /// A bit for each requested path (the candidates at the top level).
    private var everyPath: UInt64 { names.count == 64 ? ~0 : (1 << UInt64(names.count)) - 1 }

    /// A value reached by `level` member names that the `candidates` paths share.
    private mutating func value(candidates: UInt64, level: Int, depth: Int) throws {
        guard i < bytes.count else { throw Failure("unexpected end of input", at: i) }
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "{"):
            try object(candidates: candidates, level: level, depth: depth + 1)
        case UInt8(ascii: "["):
            try array(depth: depth + 1)
        default:
            try skipScalar()
        }
        // Decoded only when a path ends here (a scalar, an object or an array), by the one parser,
        // from its exact bytes.
        var rest = candidates
        while rest != 0 {
            let p = rest.trailingZeroBitCount
            rest &= rest - 1
            if names[p].count == level, level > 0 { found[p] = try JSON.parse(bytes[start..<i]) }
        }
    }

    /// An object; `candidates` are the paths that may continue inside it (0: nothing is wanted).
    private mutating func object(candidates: UInt64, level: Int, depth: Int) throws {
        guard depth <= 512 else { throw Failure("nesting too deep", at: i) }
        i += 1
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                throw Failure("expected a member name", at: i)
            }
            let keyStart = i
            let hasEscape = try skipString()
            var child: UInt64 = 0
            if candidates != 0 {
                if hasEscape {
                    let key = Array(((try JSON.parse(bytes[keyStart..<i])).string ?? "").utf8)
                    child = following(candidates, level: level, name: key[...])
                } else {
                    child = following(candidates, level: level, name: bytes[(keyStart + 1)..<(i - 1)])
                }
            }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Failure("expected ':'", at: i) }
            i += 1
            skipSpace()
            if child != 0 {
                try value(candidates: child, level: level + 1, depth: depth)
            } else {
                try skipValue(depth: depth)
            }
            skipSpace()
            guard i < bytes.count else { throw Failure("unterminated object", at: i) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return }
            throw Failure("expected ',' or '}'", at: i)
        }
    }

    private mutating func array(depth: Int) throws {
        guard depth <= 512 else { throw Failure("nesting too deep", at: i) }
        i += 1
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return }
        while true {
            skipSpace()
            try skipValue(depth: depth)
            skipSpace()
            guard i < bytes.count else { throw Failure("unterminated array", at: i) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return }
            throw Failure("expected ',' or ']'", at: i)
        }
    }

    /// Skips one value, checking it.
    private mutating func skipValue(depth: Int) throws {
        guard i < bytes.count else { throw Failure("unexpected end of input", at: i) }
        switch bytes[i] {
        case UInt8(ascii: "{"): try object(candidates: 0, level: 0, depth: depth + 1)
        case UInt8(ascii: "["): try array(depth: depth + 1)
        default: try skipScalar()
        }
    }

    /// Skips a string, number or literal, checking it.
    private mutating func skipScalar() throws {
        let c = bytes[i]
        switch c {
        case UInt8(ascii: "\""): _ = try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            // The parser's number grammar; a fraction or exponent must also be a finite double.
            let start = i
            let (end, isInteger) = try JSONParser.numberEnd(bytes, from: i)
            i = end
            if !isInteger { _ = try JSON.parse(bytes[start..<i]) }
        default: throw Failure("unexpected character", at: i)
        }
    }

    private mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, bytes[i..<(i + w.count)].elementsEqual(w) else {
            throw Failure("invalid literal", at: i)
        }
        i += w.count
    }

    /// Skips a string (at its opening quote), checking escapes, control characters and UTF-8.
    /// Returns whether it held an escape.
    private mutating func skipString() throws -> Bool {
        let start = i
        i += 1
        var escaped = false
        var ascii = true
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                if escaped {
                    // Escapes are checked by the parser itself (and UTF-8 with them).
                    _ = try JSON.parse(bytes[start..<i])
                } else if !ascii, !Self.isUTF8(bytes[(start + 1)..<(i - 1)]) {
                    throw Failure("invalid UTF-8 in string", at: start)
                }
                return escaped
            }
            if c < 0x20 { throw Failure("control character in string", at: i) }
            if c >= 0x80 { ascii = false }
            if c == UInt8(ascii: "\\") {
                escaped = true
                i += 2
                continue
            }
            i += 1
        }
        throw Failure("unterminated string", at: start)
    }

    /// True for well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
    static func isUTF8(_ raw: ArraySlice<UInt8>) -> Bool {
        var k = raw.startIndex
        func continuation(_ at: Int) -> Bool { at < raw.endIndex && raw[at] & 0xC0 == 0x80 }
        while k < raw.endIndex {
            let b = raw[k]
            if b < 0x80 { k += 1; continue }
            if b >= 0xC2 && b <= 0xDF {
                guard continuation(k + 1) else { return false }
                k += 2
            } else if b >= 0xE0 && b <= 0xEF {
                guard continuation(k + 1), continuation(k + 2) else { return false }
                let b1 = raw[k + 1]
                if b == 0xE0 && b1 < 0xA0 { return false }  // overlong
                if b == 0xED && b1 > 0x9F { return false }  // surrogates
                k += 3
            } else if b >= 0xF0 && b <= 0xF4 {
                guard continuation(k + 1), continuation(k + 2), continuation(k + 3) else { return false }
                let b1 = raw[k + 1]
                if b == 0xF0 && b1 < 0x90 { return false }  // overlong
                if b == 0xF4 && b1 > 0x8F { return false }  // beyond U+10FFFF
                k += 4
            } else {
                return false
            }
        }
        return true
    }
}
