import FoundationEssentials
import FunctionRuntime

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
        let bytes: [UInt8]
        switch FileBytes.read(path) {
        case .success(let b): bytes = b
        case .failure(let why) where why.isMissing: return nil
        case .failure(let why): throw HistoryError(.state, "cannot read the state file \(path): \(why.text)")
        }
        guard let doc = try? JSON.parse(bytes) else { throw HistoryError(.state, "the state file \(path) is not JSON") }
        return try ExportCheckpoint(json: doc)
    }

    /// Writes the checkpoint to `path` atomically (`FileBytes.writeAtomically`, mode 0600): a crash
    /// leaves the previous checkpoint or this one, never half of one.
    public func save(_ path: String) throws {
        if case .failure(let why) = FileBytes.writeAtomically(path, json.serializedBytes() + [0x0A], mode: 0o600) {
            throw HistoryError(.state, "cannot write the state file \(path): \(why.text)")
        }
    }
}
