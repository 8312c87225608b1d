import FoundationEssentials
import FunctionRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Where a backfill stands, saved to its state file after each export page is fully handled (its
/// events accepted by Klaviyo): the run's identity (window, brands), the cursor after the last
/// handled page, and the counts so far. A killed run started again with the same state file
/// goes on from the cursor: the page it was in the middle of is read again, and its events —
/// some perhaps already recorded — are sent again, which Klaviyo's `unique_id` makes harmless;
/// the counts are those of handled pages only, so nothing is counted twice.
public struct ExportCheckpoint: Sendable, Equatable {
    public var window: HistoryWindow
    public var brands: [Int64]
    public var cursor: String?
    public var pages = 0
    public var tickets = 0
    /// Counts by name (`opened`, `resolved`, `skipped_no_email_or_phone`, …).
    public var counts: [String: Int] = [:]
    public var done = false

    public init(window: HistoryWindow, brands: [Int64]) {
        self.window = window
        self.brands = brands
    }

    public var json: JSON {
        var c: [String: JSON] = [:]
        for (k, v) in counts { c[k] = .int(Int64(v)) }
        return [
            "version": 1, "kind": "backfill",
            "window": ["since": .int(window.since), "until": .int(window.until)],
            "brands": .array(brands.map { .int($0) }), "cursor": JSON(cursor), "pages": .int(Int64(pages)),
            "tickets": .int(Int64(tickets)), "counts": .object(c), "done": .bool(done),
        ]
    }

    public init(json j: JSON) throws {
        guard j["kind"].string == "backfill", j["version"].int == 1, let since = j.at("window.since").int,
            let until = j.at("window.until").int
        else { throw HistoryError(.state, "not a backfill state file (version 1)") }
        window = HistoryWindow(since: since, until: until)
        brands = (j["brands"].array ?? []).compactMap(\.int)
        cursor = j["cursor"].nonEmptyString
        pages = Int(j["pages"].int ?? 0)
        tickets = Int(j["tickets"].int ?? 0)
        for (k, v) in j["counts"].object ?? [:] { counts[k] = Int(v.int ?? 0) }
        done = j["done"].bool ?? false
    }

    /// The checkpoint in `path`, nil when there is none.
    public static func load(_ path: String) throws -> ExportCheckpoint? {
        guard let f = fopen(path, "r") else {
            if errno == ENOENT { return nil }
            throw HistoryError(.state, "cannot read the state file \(path): \(String(cString: strerror(errno)))")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        fclose(f)
        guard let doc = try? JSON.parse(bytes) else { throw HistoryError(.state, "the state file \(path) is not JSON") }
        return try ExportCheckpoint(json: doc)
    }

    /// Writes the checkpoint to `path` atomically (a temporary file, fsync, rename): a crash leaves
    /// the previous checkpoint or this one, never half of one.
    public func save(_ path: String) throws {
        let tmp = path + ".tmp"
        let bytes = json.serializedBytes() + [0x0A]
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw HistoryError(.state, "cannot write the state file \(tmp): \(String(cString: strerror(errno)))")
        }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                throw HistoryError(.state, "cannot write the state file \(tmp): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        fsync(fd)
        close(fd)
        guard rename(tmp, path) == 0 else {
            throw HistoryError(.state, "cannot replace the state file \(path): \(String(cString: strerror(errno)))")
        }
    }
}
