import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Whole files read and written at once: a seed, a saved state, a checkpoint, a report.
public enum FileBytes {
    /// Why a file could not be read or written: the `errno` of the call that failed.
    public struct Failure: Error, Sendable, Equatable {
        public let errno: Int32
        /// True when the file (or its directory) does not exist.
        public var isMissing: Bool { errno == ENOENT }
        public var text: String { String(cString: strerror(errno)) }
    }

    /// The bytes of the file at `path`.
    public static func read(_ path: String) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Failure(errno: errno)) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(errno: errno))
            }
            if n == 0 { return .success(out) }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// Writes `bytes` to `path.tmp`, syncs it and renames it over `path`: a crash leaves the old
    /// file or the new one, never half of one. The temporary file is removed when writing fails.
    public static func writeAtomically(
        _ path: String, _ bytes: [UInt8], mode: mode_t = 0o644
    ) -> Result<
        Void, Failure
    > {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { return .failure(Failure(errno: errno)) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let failure = Failure(errno: errno)
                close(fd)
                unlink(tmp)
                return .failure(failure)
            }
            offset += n
        }
        fsync(fd)
        close(fd)
        guard rename(tmp, path) == 0 else { return .failure(Failure(errno: errno)) }
        return .success(())
    }
}
