import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// A function's standard error read from a pipe: each whole line is forwarded to the invoker's
/// standard error as it arrives (one `write`, so lines of concurrent requests do not interleave)
/// and kept, up to `FunctionProcess.maximumLog` bytes, for the counters that read the log lines.
public struct LogCapture {
    /// Whole lines kept so far.
    public private(set) var kept: [UInt8] = []
    /// The start of a line not yet ended by a newline.
    private var partial: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 16384)

    public init() {}

    /// Reads what `fd` has; false at end of file.
    mutating func read(_ fd: Int32) -> Bool {
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                take(chunk[0..<n])
                continue
            }
            if n == 0 { return false }
            if errno == EINTR { continue }
            return true  // EAGAIN: nothing more for now
        }
    }

    /// Forwards and keeps the whole lines in `bytes`; holds back an unfinished last line (a very
    /// long one is forwarded in pieces rather than held without bound).
    public mutating func take(_ bytes: ArraySlice<UInt8>) {
        guard let lastNewline = bytes.lastIndex(of: 0x0A) else {
            partial.append(contentsOf: bytes)
            if partial.count >= 65536 { flush() }
            return
        }
        var lines = partial
        lines.append(contentsOf: bytes[bytes.startIndex...lastNewline])
        partial = Array(bytes[(lastNewline + 1)...])
        emit(lines)
    }

    /// Forwards what is held back (the process ended without a last newline).
    public mutating func flush() {
        guard !partial.isEmpty else { return }
        var rest = partial
        partial = []
        rest.append(0x0A)
        emit(rest)
    }

    private mutating func emit(_ lines: [UInt8]) {
        var offset = 0
        while offset < lines.count {
            let n = lines[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        if kept.count + lines.count <= FunctionProcess.maximumLog { kept.append(contentsOf: lines) }
    }
}
