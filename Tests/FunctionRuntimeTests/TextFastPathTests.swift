import BundleCore
import FunctionRuntime
import Testing

/// The byte-wise fast paths (ASCII text) against the character-wise rules they stand in for, on
/// texts drawn from the characters those rules look at.
@Suite struct TextFastPathTests {
    /// A fixed-seed generator: the same texts every run.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11 ^ state << 7
        }
    }

    static func texts(_ pieces: [String], count: Int, seed: UInt64) -> [String] {
        var g = Generator(state: seed)
        return (0..<count).map { _ in
            (0..<Int.random(in: 1...40, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined()
        }
    }

    static let logPieces = [
        "0", "1", "2", "5", "7", "9", "12345", "555123", "+", "%2B", "%2b", "%40", "%3A", "%", "@", "a", "Z", "_",
        "x", "SM", " ", "-", ".", "2026-12-01", "T10", ":", "/", "\"", "{", "=", "example.com", "pat.doe",
    ]

    /// Text that is not plain ASCII after the last masked piece takes the character-wise rules; both
    /// must mask the shared part alike.
    @Test func redactionMasksASCIIAsCharactersDo() {
        let r = Redactor(secrets: ["sk_live_abc"])
        let tail = " \u{00E9}"
        var masked = 0
        for text in Self.texts(Self.logPieces + ["sk_live_abc"], count: 3000, seed: 11) {
            let fast = r.redact(text)
            #expect(fast + tail == r.redact(text + tail), "\(text)")
            if fast != text { masked += 1 }
        }
        #expect(masked > 1000, "the texts exercise the masks: \(masked) of 3000 changed")
        #expect(r.redact("call +15551230000 or pat.doe@example.com") == "call +155******00 or p***@example.com")
        #expect(r.redact("a\r\n+15551230000") == "a\r\n+155******00", "a carriage return takes the character path")
    }

    @Test func replacingAllMatchesCharacterReplacement() {
        let pieces = ["a", "_", "-", "ab", "\r\n", "\n", "\u{00E9}", "e\u{0301}", "x_y", " "]
        for text in Self.texts(pieces, count: 2000, seed: 5) {
            for (target, with) in [("_", "-"), ("ab", "[secret]"), ("\n", "\\n"), ("e", "E"), ("a_", "")] {
                #expect(text.replacingAll(target, with: with) == text.replacing(target, with: with), "\(text)")
            }
        }
    }

    @Test func trimmedMatchesTheScalarRule() {
        func reference(_ s: String) -> String {
            var scalars = Array(s.unicodeScalars)
            while let f = scalars.first, f.properties.isWhitespace { scalars.removeFirst() }
            while let l = scalars.last, l.properties.isWhitespace { scalars.removeLast() }
            var out = String.UnicodeScalarView()
            out.append(contentsOf: scalars)
            return String(out)
        }
        let pieces = [" ", "\t", "\n", "\r", "\u{00A0}", "\u{2003}", "a", "b c", "\u{00E9}", "\u{0301}", "\u{0085}"]
        for text in Self.texts(pieces, count: 2000, seed: 3) {
            #expect(text.trimmed() == reference(text), "\(text.debugDescription)")
            #expect(text[...].trimmed() == reference(text))
        }
    }

    @Test func pathOfKeepsPathAndQuery() {
        #expect(
            HTTPClient.pathOf("https://acme.zendesk.com/api/v2/tickets/1.json?include=users")
                == "/api/v2/tickets/1.json?include=users")
        #expect(HTTPClient.pathOf("http://127.0.0.1:8080") == "/")
        #expect(HTTPClient.pathOf("http://h/") == "/")
        #expect(HTTPClient.pathOf("/already/a/path") == "/already/a/path")
        #expect(HTTPClient.pathOf("a://") == "/")
    }
}

extension TextFastPathTests {
    @Test func piecesMatchSplit() {
        let pieces = ["/", "//", "api", "v2", "tickets", "1.json", "\u{00E9}", "%2F", "{id}", "a b"]
        for text in Self.texts(pieces, count: 2000, seed: 9) {
            #expect(
                text.pieces(separatedBy: UInt8(ascii: "/")) == text.split(separator: "/").map(String.init), "\(text)")
        }
        #expect("".pieces(separatedBy: UInt8(ascii: "/")).isEmpty)
    }
}
