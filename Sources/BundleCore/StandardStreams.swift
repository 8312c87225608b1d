#if canImport(Glibc)
import Glibc
#endif

/// Raw standard stream helpers (unbuffered, so a crash cannot lose a written line).
public enum StandardStreams {
    public static func write(_ bytes: [UInt8], to fd: Int32 = 1) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    public static func write(_ text: String) { write(Array(text.utf8), to: 1) }
    public static func writeError(_ text: String) { write(Array(text.utf8), to: 2) }

    /// Reads standard input to the end (or exactly `limit` bytes when given).
    public static func readAll(limit: Int? = nil) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while limit.map({ out.count < $0 }) ?? true {
            let want = min(buffer.count, (limit ?? Int.max) - out.count)
            let n = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, want) }
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }
}
