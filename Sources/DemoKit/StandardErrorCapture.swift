import BundleCore
import FoundationEssentials
import FunctionRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Standard error (fd 2) redirected to an unlinked temporary file until `end()`, which puts
/// the original back and returns what was written. Child processes started meanwhile inherit
/// the file as their standard error.
final class StandardErrorCapture: Sendable {
    private let saved: Int32
    private let file: Int32
    /// The captured text once `end()` has run.
    private let text = PlainMutex<String?>(nil)

    private init(saved: Int32, file: Int32) {
        self.saved = saved
        self.file = file
    }

    /// Starts capturing; nil when the redirection is not possible (standard error stays as it was).
    static func begin() -> StandardErrorCapture? {
        var template = Array("/tmp/bundle-demo-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        let saved = dup(2)
        guard saved >= 0, dup2(fd, 2) >= 0 else {
            close(fd)
            if saved >= 0 { close(saved) }
            return nil
        }
        return StandardErrorCapture(saved: saved, file: fd)
    }

    /// Restores standard error (once) and returns the captured text.
    @discardableResult
    func end() -> String {
        text.withLock { text in
            if let text { return text }
            _ = dup2(saved, 2)
            close(saved)
            var out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            _ = lseek(file, 0, SEEK_SET)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                out.append(contentsOf: chunk[0..<n])
            }
            close(file)
            let result = String(decoding: out, as: UTF8.self)
            text = result
            return result
        }
    }
}
