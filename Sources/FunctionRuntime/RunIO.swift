import BundleCore

/// Where one run of a function reads its event and writes its answer: the process's standard
/// streams, or — a warm worker's request — bytes in memory.
public struct RunIO {
    /// Reads the input to its end, or exactly that many bytes.
    public let read: (Int?) -> [UInt8]
    public let write: ([UInt8]) -> Void

    public init(read: @escaping (Int?) -> [UInt8], write: @escaping ([UInt8]) -> Void) {
        self.read = read
        self.write = write
    }

    public static var standard: RunIO {
        RunIO(read: { StandardStreams.readAll(limit: $0) }, write: { StandardStreams.write($0) })
    }
}
