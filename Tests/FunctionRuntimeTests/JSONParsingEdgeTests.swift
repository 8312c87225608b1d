import Foundation
import FunctionRuntime
import Testing

/// The hand-written codec's decided edge cases (see JSONParser's documentation), and a
/// differential test against Foundation's JSONSerialization over generated documents.
@Suite struct JSONParsingEdgeTests {
    @Test func nestingUpTo512LevelsParsesDeeperIsRefused() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSON.parse(ok) }
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: RuntimeError.self) { try JSON.parse(deep) }
        let objects = String(repeating: #"{"a":"#, count: 513) + "1" + String(repeating: "}", count: 513)
        #expect(throws: RuntimeError.self) { try JSON.parse(objects) }
        // A very deep document fails cleanly rather than exhausting the stack.
        #expect(throws: RuntimeError.self) { try JSON.parse(String(repeating: "[", count: 100_000)) }
    }

    @Test func surrogatePairsAreOneScalarLoneSurrogatesBecomeReplacement() throws {
        #expect(try JSON.parse(#""\ud83d\ude00""#) == "😀")
        #expect(try JSON.parse(#""\uD83D\uDE00 ok""#) == "😀 ok")
        #expect(try JSON.parse(#""a\ud83db""#) == "a\u{FFFD}b", "a high surrogate alone")
        #expect(try JSON.parse(#""a\ude00b""#) == "a\u{FFFD}b", "a low surrogate alone")
        #expect(try JSON.parse(#""\ud83d\u0041""#) == "\u{FFFD}", "a high surrogate followed by a non-surrogate escape")
        #expect(throws: RuntimeError.self) { try JSON.parse(#""\ud83""#) }
        #expect(throws: RuntimeError.self) { try JSON.parse(#""\uZZZZ""#) }
    }

    @Test func invalidUTF8IsRefusedNotRepaired() throws {
        for bad: [UInt8] in [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22],
            [0x22, 0x5C, 0x6E, 0xC0, 0xAF, 0x22],
        ] {
            #expect(throws: RuntimeError.self, "\(bad)") { try JSON.parse(bad) }
        }
        #expect(try JSON.parse(Array("\"Olá, 你好 😀\"".utf8)) == "Olá, 你好 😀")
        #expect(try JSON.parse(Array("\"a\\n€\"".utf8)) == "a\n€", "escapes and multi-byte text together")
    }

    @Test func numbersBeyondInt64BecomeDoublesOutOfRangeIsRefused() throws {
        #expect(try JSON.parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSON.parse("-9223372036854775808") == .int(Int64.min))
        #expect(try JSON.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSON.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
        #expect(try JSON.parse("1.0") == .double(1))
        #expect(try JSON.parse("1e2") == .double(100))
        #expect(try JSON.parse("-0") == .int(0))
        for bad in ["2e555", "-2e555", "01", "1.", ".5", "+1", "1e", "--1", "0x10", "NaN", "Infinity"] {
            #expect(throws: RuntimeError.self, "\(bad)") { try JSON.parse(bad) }
        }
    }

    @Test func repeatedMemberNamesKeepTheLast() throws {
        #expect(try JSON.parse(#"{"a":1,"a":2}"#)["a"] == 2)
    }

    // MARK: - Differential

    /// A small deterministic generator (SplitMix64), so a failure names a reproducible seed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

        mutating func string() -> String {
            let pool: [String] = [
                "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{01}", "\u{1F}", "é", "€", "你", "😀", "\u{FFFD}",
                "\u{2028}",
            ]
            return (0..<below(12)).map { _ in pool[below(pool.count)] }.joined()
        }

        mutating func value(depth: Int) -> JSON {
            switch below(depth > 4 ? 5 : 7) {
            case 0: return .null
            case 1: return .bool(below(2) == 0)
            case 2: return .int(Int64(bitPattern: next()) >> Int64(below(64)))
            case 3: return .double(Double(Int64(bitPattern: next()) >> 20) / Double(1 << below(30)))
            case 4: return .string(string())
            case 5: return .array((0..<below(5)).map { _ in value(depth: depth + 1) })
            default:
                var o: [String: JSON] = [:]
                for _ in 0..<below(5) { o[string()] = value(depth: depth + 1) }
                return .object(o)
            }
        }
    }

    /// Foundation's reading of a JSON text, converted to the bundle's JSON (numbers as Int64 when
    /// integral and in range, like the bundle's parser).
    static func foundation(_ any: Any) -> JSON {
        switch any {
        case is NSNull: return .null
        case let b as Bool where !(any is NSNumber) || String(cString: (any as! NSNumber).objCType) == "c":
            return .bool(b)
        case let n as NSNumber:
            let d = n.doubleValue
            if !String(describing: n).contains("."), !String(describing: n).contains("e"),
                let i = Int64(exactly: d) ?? Int64(String(describing: n))
            {
                return .int(i)
            }
            return .double(d)
        case let s as String: return .string(s)
        case let a as [Any]: return .array(a.map(foundation))
        case let o as [String: Any]: return .object(o.mapValues(foundation))
        default: return .string("unexpected \(type(of: any))")
        }
    }

    @Test(arguments: [1, 2, 3, 4])
    func agreesWithJSONSerializationOnGeneratedDocuments(seed: UInt64) throws {
        var g = Generator(state: seed)
        for n in 0..<250 {
            let doc = JSON.object(["v": g.value(depth: 0), "n": .int(Int64(n))])
            let text = doc.serializedBytes()
            // Ours reads back what ours wrote.
            let ours = try JSON.parse(text)
            #expect(ours == doc, "seed \(seed) doc \(n): round trip")
            // Foundation reads our output as the same document.
            let theirs = Self.foundation(
                try JSONSerialization.jsonObject(with: Data(text), options: [.fragmentsAllowed]))
            #expect(
                Self.numericallyEqual(theirs, ours), "seed \(seed) doc \(n): \(String(decoding: text, as: UTF8.self))")
            // And ours reads Foundation's output of it as the same document.
            let foundationText = try JSONSerialization.data(
                withJSONObject: try JSONSerialization.jsonObject(with: Data(text)), options: [])
            #expect(
                Self.numericallyEqual(try JSON.parse(Array(foundationText)), ours),
                "seed \(seed) doc \(n): Foundation's text")
        }
    }

    /// Equal, counting an integral double and the same integer as one number (the two parsers
    /// choose differently between them). Foundation's reader goes through Double for numbers
    /// (integers beyond 2^53 lose their last digits, and its decimal conversion can differ in the
    /// last place), so numbers are compared within double precision; the bundle's parser keeps
    /// 64-bit integers exact (checked by the round trip).
    static func numericallyEqual(_ a: JSON, _ b: JSON) -> Bool {
        func close(_ x: Double, _ y: Double) -> Bool { x == y || abs(x - y) <= max(abs(x), abs(y)) * 1e-15 }
        switch (a, b) {
        case (.int(let x), .int(let y)):
            return x == y || (max(x.magnitude, y.magnitude) > 1 << 53 && close(Double(x), Double(y)))
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return close(Double(x), y)
        case (.double(let x), .double(let y)): return close(x, y)
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { numericallyEqual($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { numericallyEqual(v, $0) } ?? false }
        default: return a == b
        }
    }
}

/// The scanner finds what the parser's tree holds at each path, and refuses exactly what the
/// parser refuses.
@Suite struct JSONScannerTests {
    static let paths = [["detail", "brand_id"], ["ticket", "brand", "id"], ["brand_id"], ["v"]]

    @Test(arguments: [11, 12, 13])
    func agreesWithTheParser(seed: UInt64) throws {
        var g = JSONParsingEdgeTests.Generator(state: seed)
        for n in 0..<300 {
            var doc: JSON = ["v": g.value(depth: 2)]
            if g.below(2) == 0 {
                doc["detail"] = [
                    "brand_id": g.below(2) == 0 ? .string(String(g.below(1000))) : .int(Int64(g.below(1000)))
                ]
            }
            if g.below(3) == 0 { doc["ticket"] = ["brand": ["id": .int(Int64(g.below(99)))], "x": g.value(depth: 3)] }
            var text = doc.serializedBytes()
            // Mutate some documents: a byte dropped, changed or added.
            if n % 3 == 0, !text.isEmpty {
                let at = g.below(text.count)
                switch g.below(3) {
                case 0: text.remove(at: at)
                case 1: text[at] = UInt8(truncatingIfNeeded: g.next())
                default: text.insert(UInt8(truncatingIfNeeded: g.next()), at: at)
                }
            }
            let parsed = try? JSON.parse(text)
            let scanned = try? JSONScanner.scan(text, paths: Self.paths)
            #expect(
                (parsed == nil) == (scanned == nil), "seed \(seed) doc \(n): \(String(decoding: text, as: UTF8.self))")
            guard let parsed, let scanned else { continue }
            for (path, value) in zip(Self.paths, scanned.values) {
                let expected = parsed.at(path.joined(separator: "."))
                let context = "seed \(seed) doc \(n) \(path): \(String(decoding: text, as: UTF8.self))"
                if expected.object != nil || expected.array != nil {
                    #expect(value == expected, "a container at a path's end is decoded whole: \(context)")
                } else if expected.isNull {
                    #expect(value == nil || value == .null, "\(context)")
                } else {
                    #expect(value == expected, "\(context)")
                }
            }
        }
    }

    @Test func refusesWhatTheParserRefuses() {
        for bad in [
            "", "{", #"{"a":}"#, #"{"a":1,}"#, "[1,]", #"{"a":"\x"}"#, #"{"a":01}"#, #"{"a":2e555}"#, "{} x", "nul",
        ] {
            #expect(throws: RuntimeError.self, "\(bad)") { try JSONScanner.scan(Array(bad.utf8), paths: [["a"]]) }
        }
        #expect(throws: RuntimeError.self) {
            try JSONScanner.scan([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D], paths: [["a"]])
        }
        #expect(throws: RuntimeError.self) {
            try JSONScanner.scan(
                Array((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8), paths: [])
        }
    }
}
