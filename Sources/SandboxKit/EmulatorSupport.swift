import FoundationEssentials
import FunctionRuntime
import HTTPServer
#if canImport(Glibc)
import Glibc
#endif

/// Small pieces the emulators share: credentials from headers, E.164 checks, path matching, ids,
/// and the RFC 2822 dates Twilio uses.
public enum EmulatorSupport {
    /// The `user:password` pair of an HTTP Basic `Authorization` header, or nil.
    public static func basicCredentials(_ request: ServerRequest) -> (user: String, password: String)? {
        guard let header = request.header("authorization"), header.lowercased().hasPrefix("basic ") else { return nil }
        guard let decoded = Crypto.base64Decode(String(header.dropFirst(6)).trimmed()) else { return nil }
        let text = String(decoding: decoded, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// True for an E.164 number: `+`, a non-zero digit, then 6 to 14 more digits.
    public static func isE164(_ text: String) -> Bool {
        let chars = Array(text.utf8)
        guard chars.count >= 8, chars.count <= 16, chars[0] == UInt8(ascii: "+"),
            chars[1] >= UInt8(ascii: "1"), chars[1] <= UInt8(ascii: "9")
        else { return false }
        return chars.dropFirst().allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// A plausible e-mail address (`local@domain.tld`, no white space).
    public static func isEmail(_ text: String) -> Bool {
        guard !text.contains(" "), let at = text.firstIndex(of: "@") else { return false }
        let local = text[..<at], domain = text[text.index(after: at)...]
        return !local.isEmpty && domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".")
            && !domain.contains("@")
    }

    /// Matches `path` against a pattern of literal segments and `{name}` captures
    /// (`/api/profiles/{id}/conversation`); a trailing slash on `path` is ignored.
    public static func match(_ path: String, _ pattern: String) -> [String: String]? {
        let p = path.pieces(separatedBy: UInt8(ascii: "/"))
        let q = pattern.pieces(separatedBy: UInt8(ascii: "/"))
        guard p.count == q.count else { return nil }
        var captures: [String: String] = [:]
        for (a, b) in zip(p, q) {
            if b.hasPrefix("{") && b.hasSuffix("}") {
                captures[String(b.dropFirst().dropLast())] = FormDecoding.decode(
                    Array(a.replacingAll("+", with: "%2B").utf8))
            } else if a != b {
                return nil
            }
        }
        return captures
    }

    /// `count` random bytes from the system generator (the sandbox needs no OpenSSL for ids).
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    /// `count` random bytes as lower-case hex.
    public static func randomHex(_ count: Int) -> String { Crypto.hex(randomBytes(count)) }

    /// A stable 16-byte fingerprint of `bytes` (two FNV-1a 64-bit hashes) for deterministic ids
    /// and request comparison; not a cryptographic hash, which the sandbox never needs.
    public static func fingerprint(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325, b: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            b = (b ^ UInt64(byte ^ 0x5A)) &* 0x0000_0100_0000_01B3
        }
        return (0..<8).map { UInt8(truncatingIfNeeded: a >> ($0 * 8)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: b >> ($0 * 8)) }
    }

    /// A Klaviyo-style 26-character upper-case identifier.
    public static func klaviyoID() -> String { "01" + randomHex(12).uppercased() }

    /// A random RFC 4122 version-4 UUID in lower case.
    public static func uuid() -> String {
        var b = randomBytes(16)
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        let h = Crypto.hex(b)
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-"
            + String(c[20..<32])
    }

    /// RFC 2822 date as Twilio writes it: `Wed, 18 Nov 2026 10:00:00 +0000`.
    public static func rfc2822(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tmv = tm()
        gmtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        strftime(&buf, buf.count, "%a, %d %b %Y %H:%M:%S +0000", &tmv)
        return String(cBuffer: buf)
    }

    /// The UTC calendar day (`2026-11-20`) of a date.
    public static func day(_ date: Date) -> String { String(Clock.iso8601(date).prefix(10)) }

    /// A JSON string array from a JSON value holding strings (other members skipped).
    public static func strings(_ value: JSON) -> [String] { (value.array ?? []).compactMap(\.string) }
}

/// A sliding request window: `limit` requests per `window` seconds (a minute unless told), 0
/// meaning unlimited.
public struct RateLimiter: Sendable {
    public var limit: Int = 0
    public var window: Double = 60
    private var hits: [Double] = []

    public init(limit: Int = 0, window: Double = 60) {
        self.limit = limit
        self.window = window
    }

    /// Records a request; returns nil when it is allowed, or the whole seconds to wait (≥ 1) when
    /// the window is full.
    public mutating func admit(now: Double = Clock.monotonicMS() / 1000) -> Int? {
        guard limit > 0 else { return nil }
        hits.removeAll { now - $0 >= window }
        if hits.count < limit { hits.append(now); return nil }
        return max(1, Int((window - (now - hits[0])).rounded(.up)))
    }

    public mutating func clear() { hits = [] }
}
