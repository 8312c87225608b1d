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
            let root: Root = bytes[scanner.i] == UInt8(ascii: "{") ? .object : bytes[scanner.i] == UInt8(ascii: "[") ? .array : .scalar
            try scanner.value(path: [], depth: 0)
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
    private let paths: [[String]]
    private var found: [JSON?]
    private var i = 0

    private init(bytes: [UInt8], paths: [[String]]) {
        self.bytes = bytes
        self.paths = paths
        self.found = Array(repeating: nil, count: paths.count)
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    /// True when `path` is one of the requested paths or leads to one.
    private func wanted(_ path: [String]) -> Bool {
        paths.contains { $0.count >= path.count && Array($0.prefix(path.count)) == path }
    }

    private mutating func value(path: [String], depth: Int) throws {
        guard i < bytes.count else { throw Failure("unexpected end of input", at: i) }
        let requested = path.isEmpty ? nil : paths.firstIndex(of: path)
        switch bytes[i] {
        case UInt8(ascii: "{"):
            try object(path: path, depth: depth + 1)
        case UInt8(ascii: "["):
            try array(depth: depth + 1)
        default:
            // A scalar: decoded only when requested, by the one parser, from its exact bytes.
            let start = i
            try skipScalar()
            if let requested { found[requested] = try JSON.parse(bytes[start..<i]) }
        }
    }

    /// An object; `path` is where it stands, nil inside a value being skipped (nothing in it is wanted).
    private mutating func object(path: [String]?, depth: Int) throws {
        guard depth <= 512 else { throw Failure("nesting too deep", at: i) }
        i += 1
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Failure("expected a member name", at: i) }
            let keyStart = i
            let hasEscape = try skipString()
            var child: [String] = []
            if let path, wanted(path) {
                let key = hasEscape ? (try JSON.parse(bytes[keyStart..<i])).string ?? "" : try Self.plain(bytes[(keyStart + 1)..<(i - 1)], at: keyStart)
                child = (path ?? []) + [key]
            }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Failure("expected ':'", at: i) }
            i += 1
            skipSpace()
            if !child.isEmpty && wanted(child) { try value(path: child, depth: depth) } else { try skipValue(depth: depth) }
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
        case UInt8(ascii: "{"): try object(path: nil, depth: depth + 1)
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
            let start = i
            while i < bytes.count, Self.numberByte(bytes[i]) { i += 1 }
            // The grammar and range of a number are the parser's: one definition of a number.
            _ = try JSON.parse(bytes[start..<i])
        default: throw Failure("unexpected character", at: i)
        }
    }

    private static func numberByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
            || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    }

    private mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, bytes[i..<(i + w.count)].elementsEqual(w) else { throw Failure("invalid literal", at: i) }
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
                if !ascii {
                    // Non-ASCII text (or escapes producing it) is checked by the parser itself.
                    _ = try JSON.parse(bytes[start..<i])
                } else if escaped {
                    _ = try JSON.parse(bytes[start..<i])
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

    /// ASCII or UTF-8 bytes of a member name without escapes.
    private static func plain(_ raw: ArraySlice<UInt8>, at offset: Int) throws -> String {
        guard let s = String(validating: raw, as: UTF8.self) else { throw Failure("invalid UTF-8 in string", at: offset) }
        return s
    }
}
