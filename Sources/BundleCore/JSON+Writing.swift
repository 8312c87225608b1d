/// Serialises `JSON` to UTF-8: object keys sorted (stable output for logs and tests), `/` not
/// escaped, control characters as `\uXXXX`, non-finite numbers as `null`.
struct JSONWriter {
    var out: [UInt8] = []
    let pretty: Bool

    init(pretty: Bool) { self.pretty = pretty; out.reserveCapacity(256) }

    mutating func write(_ value: JSON, indent: Int = 0) {
        switch value {
        case .null: append("null")
        case .bool(let b): append(b ? "true" : "false")
        case .int(let i): append(String(i))
        case .double(let d):
            if !d.isFinite {
                append("null")
            } else if d == d.rounded(), abs(d) < 1e15 {
                append(String(Int64(d)) + ".0")
            }  // stays a double when read back
            else {
                append(String(d))
            }
        case .string(let s): writeString(s)
        case .array(let a):
            if a.isEmpty { append("[]"); return }
            out.append(UInt8(ascii: "["))
            for (n, element) in a.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                write(element, indent: indent + 1)
            }
            newline(indent)
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty { append("{}"); return }
            out.append(UInt8(ascii: "{"))
            // Sorted by key through the dictionary's indices: no member is copied, none hashed again.
            for (n, index) in o.indices.sorted(by: { o[$0].key < o[$1].key }).enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                writeString(o[index].key)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                write(o[index].value, indent: indent + 1)
            }
            newline(indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private mutating func newline(_ indent: Int) {
        guard pretty else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    private mutating func append(_ s: String) { out.append(contentsOf: s.utf8) }

    /// A string in quotes; runs that need no escaping are copied whole.
    private mutating func writeString(_ s: String) {
        out.append(UInt8(ascii: "\""))
        var text = s
        text.withUTF8 { bytes in
            var run = 0
            for (k, b) in bytes.enumerated() where b == 0x22 || b == 0x5C || b < 0x20 {
                out.append(contentsOf: bytes[run..<k])
                escape(b)
                run = k + 1
            }
            out.append(contentsOf: bytes[run...])
        }
        out.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ b: UInt8) {
        switch b {
        case 0x22: out.append(0x5C); out.append(0x22)
        case 0x5C: out.append(0x5C); out.append(0x5C)
        case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
        case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
        case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            out.append(contentsOf: Array("\\u00".utf8))
            out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)])
        }
    }
}
