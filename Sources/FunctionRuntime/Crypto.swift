import CCrypto
import FoundationEssentials

/// HMAC, digests and encodings through OpenSSL's libcrypto.
public enum Crypto {
    public enum Digest { case sha1, sha256 }

    /// HMAC of `message` under `key`.
    public static func hmac(_ digest: Digest, key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        let k = Array(key), m = Array(message)
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let md = digest == .sha1 ? EVP_sha1() : EVP_sha256()
        k.withUnsafeBytes { kp in
            m.withUnsafeBytes { mp in
                _ = HMAC(md, kp.baseAddress, Int32(k.count), mp.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count, &out, &length)
            }
        }
        return Array(out.prefix(Int(length)))
    }

    /// SHA-256 of `data`.
    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] {
        // Through EVP like HMAC: the low-level SHA256() reads CPU capabilities that are only
        // initialised on the EVP path in a fully static executable, and crashed there.
        let d = Array(data)
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        d.withUnsafeBytes { p in _ = EVP_Digest(p.baseAddress, d.count, &out, &length, EVP_sha256(), nil) }
        return Array(out.prefix(Int(length)))
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !a.isEmpty else { return false }
        return a.withUnsafeBytes { ap in b.withUnsafeBytes { bp in CRYPTO_memcmp(ap.baseAddress, bp.baseAddress, a.count) == 0 } }
    }

    public static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    public static func base64Decode(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text.trimmed()).map(Array.init)
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 0xF)]) }
        return s
    }

    public static func hexDecode(_ text: String) -> [UInt8]? {
        let chars = Array(text.lowercased().utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// Random bytes from the OpenSSL generator.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        _ = RAND_bytes(&out, Int32(count))
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
