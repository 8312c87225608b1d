import FoundationEssentials

/// A JSON document of any shape.
///
/// Webhook payloads and vendor responses are open-ended (new fields appear without notice), so the
/// runtime keeps them as `JSON` and reads the few fields a rule needs. Integers are kept exact
/// (`.int`) so that ids never pass through floating point.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])
}

extension JSON {
    /// Parses a UTF-8 JSON document. Throws `RuntimeError` `.invalidEvent` with the parser's reason.
    public static func parse(_ bytes: some Collection<UInt8>) throws -> JSON {
        do {
            return try JSONParser.parse(Array(bytes))
        } catch {
            throw RuntimeError(.invalidEvent, "body is not valid JSON: \(error)")
        }
    }

    /// Parses a UTF-8 JSON string.
    public static func parse(_ text: String) throws -> JSON { try parse(Array(text.utf8)) }

    /// Serialises with sorted keys, no escaped slashes: stable output for tests and logs.
    public func serialized(pretty: Bool = false) -> String {
        String(decoding: serializedBytes(pretty: pretty), as: UTF8.self)
    }

    public func serializedBytes(pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty)
        writer.write(self)
        return writer.out
    }
}

// MARK: - Reading

extension JSON {
    /// The member `key` of an object, or `.null`.
    public subscript(key: String) -> JSON {
        get { if case .object(let o) = self { return o[key] ?? .null }; return .null }
        set {
            if case .object(var o) = self {
                o[key] = newValue; self = .object(o)
            } else if case .null = self {
                self = .object([key: newValue])
            }
        }
    }

    /// The element at `index` of an array, or `.null`.
    public subscript(index: Int) -> JSON {
        if case .array(let a) = self, a.indices.contains(index) { return a[index] }
        return .null
    }

    public var isNull: Bool { if case .null = self { return true }; return false }

    /// A string, or a number rendered as a string (Zendesk event payloads carry ids as strings,
    /// REST responses as numbers: callers read both the same way).
    public var string: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        default: return nil
        }
    }

    /// A non-empty string (after trimming white space), or nil.
    public var nonEmptyString: String? {
        guard let s = string?.trimmed(), !s.isEmpty else { return nil }
        return s
    }

    /// An integer, also from a numeric string ("123").
    public var int: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d): return d == d.rounded() ? Int64(exactly: d) : nil
        case .string(let s): return Int64(s.trimmed())
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    public var bool: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s):
            return ["true", "1", "yes"].contains(s.lowercased())
                ? true : (["false", "0", "no"].contains(s.lowercased()) ? false : nil)
        case .int(let i): return i != 0
        default: return nil
        }
    }

    public var array: [JSON]? { if case .array(let a) = self { return a }; return nil }
    public var object: [String: JSON]? { if case .object(let o) = self { return o }; return nil }

    /// Follows a dotted path such as `"detail.brand_id"`; numeric parts index arrays.
    public func at(_ path: String) -> JSON {
        var node = self
        for part in path.split(separator: ".") {
            if let i = Int(part), case .array = node { node = node[i] } else { node = node[String(part)] }
        }
        return node
    }
}

// MARK: - Building

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral,
    ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSON {
    /// `.string` or `.null` for an optional string.
    public init(_ value: String?) { self = value.map { .string($0) } ?? .null }
    /// `.int` or `.null` for an optional integer.
    public init(_ value: Int64?) { self = value.map { .int($0) } ?? .null }
    public init(_ value: Int) { self = .int(Int64(value)) }
    /// An array of strings.
    public init(_ values: [String]) { self = .array(values.map { .string($0) }) }

    /// The same object without the members whose value is `.null`.
    public var droppingNulls: JSON {
        guard case .object(let o) = self else { return self }
        return .object(o.filter { !$0.value.isNull })
    }

    /// Merges the members of `other` into this object (other wins).
    public func merging(_ other: JSON) -> JSON {
        guard case .object(var o) = self, case .object(let p) = other else { return other.isNull ? self : other }
        for (k, v) in p { o[k] = v }
        return .object(o)
    }
}
