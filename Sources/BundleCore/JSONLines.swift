import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Files of one JSON object per line — the attention list, the spool's journal — appended with
/// `O_APPEND`, so concurrent writers never interleave within a line, and read back whole lines
/// only, so a line still being written is read next time.
public enum JSONLines {
    /// Appends `entries` (each as one line), creating the file (and its directory) when missing;
    /// failures are reported on standard error only.
    public static func append(_ entries: [JSON], to path: String, permissions: mode_t = 0o644) {
        var bytes: [UInt8] = []
        for e in entries { bytes += e.serializedBytes() + [0x0A] }
        if let slash = path.lastIndex(of: "/") { mkdir(String(path[..<slash]), 0o755) }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, permissions)
        guard fd >= 0 else {
            StandardStreams.writeError("cannot append to \(path): \(String(cString: strerror(errno)))\n")
            return
        }
        StandardStreams.write(bytes, to: fd)
        close(fd)
    }

    /// The whole lines from byte `offset` on, parsed (unreadable lines skipped), and the offset
    /// just after the last whole line. A missing file reads as nothing.
    public static func read(_ path: String, from offset: Int = 0) -> (lines: [JSON], end: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return ([], offset) }
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var position = off_t(offset)
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, position) }
            if n <= 0 { break }
            data += buffer[0..<n]
            position += off_t(n)
        }
        guard let last = data.lastIndex(of: 0x0A) else { return ([], offset) }
        let complete = data[...last]
        return (complete.split(separator: 0x0A).compactMap { try? JSON.parse(Array($0)) }, offset + complete.count)
    }
}
