import CShims
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// HMAC, digests and encodings through OpenSSL's libcrypto (loaded on first use; see
/// CCryptoShim). Without a usable libcrypto nothing can be verified: every operation then throws
/// `RuntimeError` `.internal` with detail `.cryptoUnavailable` and the loader's reason (a function
/// ends with exit 70; a server answers that one request with 500 and keeps running).
public enum Crypto {
    public enum Digest { case sha1, sha256 }

    /// HMAC of `message` under `key`.
    public static func hmac(
        _ digest: Digest, key: some Collection<UInt8>, message: some Collection<UInt8>
    ) throws -> [UInt8] {
        let k = Array(key), m = Array(message)
        var out = [UInt8](repeating: 0, count: 64)
        let n = k.withUnsafeBytes { kp in
            m.withUnsafeBytes { mp in
                ccrypto_hmac(digest == .sha256 ? 1 : 0, kp.baseAddress, k.count, mp.baseAddress, m.count, &out)
            }
        }
        if n < 0 { throw unavailable() }
        return Array(out.prefix(Int(n)))
    }

    /// SHA-256 of `data`.
    public static func sha256(_ data: some Collection<UInt8>) throws -> [UInt8] {
        let d = Array(data)
        var out = [UInt8](repeating: 0, count: 32)
        let n = d.withUnsafeBytes { ccrypto_sha256($0.baseAddress, d.count, &out) }
        if n < 0 { throw unavailable() }
        return out
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) throws -> Bool {
        guard a.count == b.count, !a.isEmpty else { return false }
        let r = a.withUnsafeBytes { ap in
            b.withUnsafeBytes { bp in ccrypto_memcmp(ap.baseAddress, bp.baseAddress, a.count) }
        }
        if r < 0 { throw unavailable() }
        return r == 0
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

    /// Random bytes from the OpenSSL generator.
    public static func randomBytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        if ccrypto_random(&out, Int32(count)) != 1 { throw unavailable() }
        return out
    }

    private static func unavailable() -> RuntimeError {
        RuntimeError(.internal, "libcrypto: \(String(cString: ccrypto_load_error()))", detail: .cryptoUnavailable)
    }
}
