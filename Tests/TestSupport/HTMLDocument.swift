/// A parsed HTML document, for asserting on what a browser built: Chromium's `--dump-dom`
/// serialisation (every element closed but the void ones, attributes quoted) read back into a
/// tree, with a small selector language — `tag`, `#id`, `.class`, `tag.class`, `tag#id`, and
/// descendants separated by spaces (`#recent tr.fail td.outcome`).
public final class HTMLNode: @unchecked Sendable {
    /// Lower-case tag name; `#text` for text, `#document` for the root.
    public let tag: String
    public let attributes: [String: String]
    public private(set) var children: [HTMLNode] = []
    /// The decoded text of a `#text` node.
    public let text: String
    public private(set) weak var parent: HTMLNode?

    init(tag: String, attributes: [String: String] = [:], text: String = "") {
        self.tag = tag
        self.attributes = attributes
        self.text = text
    }

    func append(_ child: HTMLNode) {
        child.parent = self
        children.append(child)
    }

    /// The text of the node and its descendants, whitespace runs collapsed and trimmed.
    public var textContent: String {
        var out = ""
        func walk(_ n: HTMLNode) {
            if n.tag == "#text" { out += n.text } else { n.children.forEach(walk) }
        }
        walk(self)
        return out.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
    }

    public var classes: [String] { (attributes["class"] ?? "").split(separator: " ").map(String.init) }

    /// Every element below this one (depth first, document order).
    public var descendants: [HTMLNode] {
        var out: [HTMLNode] = []
        func walk(_ n: HTMLNode) {
            for c in n.children where c.tag != "#text" {
                out.append(c)
                walk(c)
            }
        }
        walk(self)
        return out
    }

    /// The elements matching `selector` below this node, in document order.
    public func all(_ selector: String) -> [HTMLNode] {
        var scope: [HTMLNode] = [self]
        for part in selector.split(separator: " ") {
            let simple = SimpleSelector(String(part))
            var found: [HTMLNode] = []
            var seen = Set<ObjectIdentifier>()
            for root in scope {
                for n in root.descendants where simple.matches(n) && seen.insert(ObjectIdentifier(n)).inserted {
                    found.append(n)
                }
            }
            scope = found
        }
        return scope
    }

    public func first(_ selector: String) -> HTMLNode? { all(selector).first }

    struct SimpleSelector {
        var tag: String?
        var id: String?
        var classes: [String] = []

        init(_ text: String) {
            var current = "", kind: Character = "t"
            func flush() {
                guard !current.isEmpty else { return }
                switch kind {
                case "#": id = current
                case ".": classes.append(current)
                default: tag = current.lowercased()
                }
                current = ""
            }
            for c in text {
                if c == "#" || c == "." {
                    flush()
                    kind = c
                } else {
                    current.append(c)
                }
            }
            flush()
        }

        func matches(_ n: HTMLNode) -> Bool {
            if let tag, n.tag != tag { return false }
            if let id, n.attributes["id"] != id { return false }
            let have = n.classes
            return classes.allSatisfy(have.contains)
        }
    }
}

public enum HTMLDocument {
    static let void: Set<String> = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    ]
    static let raw: Set<String> = ["script", "style", "textarea", "title"]

    /// Parses `html` into a tree rooted at a `#document` node.
    public static func parse(_ html: String) -> HTMLNode {
        let root = HTMLNode(tag: "#document")
        var stack = [root]
        let s = Array(html.unicodeScalars)
        var i = 0
        var text = ""
        func flushText() {
            if !text.isEmpty { stack.last!.append(HTMLNode(tag: "#text", text: decode(text))) }
            text = ""
        }
        func starts(_ prefix: String, at index: Int) -> Bool {
            let p = Array(prefix.unicodeScalars)
            guard index + p.count <= s.count else { return false }
            for k in 0..<p.count where String(s[index + k]).lowercased() != String(p[k]).lowercased() { return false }
            return true
        }
        func find(_ needle: String, from: Int) -> Int? {
            var k = from
            while k < s.count {
                if starts(needle, at: k) { return k }
                k += 1
            }
            return nil
        }
        while i < s.count {
            if s[i] != "<" {
                text.unicodeScalars.append(s[i])
                i += 1
                continue
            }
            if starts("<!--", at: i) {
                flushText()
                i = (find("-->", from: i + 4) ?? s.count) + 3
                continue
            }
            if starts("<!", at: i) || starts("<?", at: i) {
                flushText()
                i = (find(">", from: i) ?? s.count) + 1
                continue
            }
            if starts("</", at: i) {
                flushText()
                let end = find(">", from: i) ?? s.count
                let name = scalars(s[(i + 2)..<min(end, s.count)]).trimmed().lowercased()
                if let index = stack.lastIndex(where: { $0.tag == name }), index > 0 {
                    stack.removeLast(stack.count - index)
                }
                i = end + 1
                continue
            }
            // A start tag: name, then attributes up to `>`.
            flushText()
            var k = i + 1
            var name = ""
            while k < s.count, !" \n\t/>".unicodeScalars.contains(s[k]) {
                name.unicodeScalars.append(s[k])
                k += 1
            }
            name = name.lowercased()
            var attributes: [String: String] = [:]
            var selfClosing = false
            while k < s.count, s[k] != ">" {
                if " \n\t".unicodeScalars.contains(s[k]) {
                    k += 1
                    continue
                }
                if s[k] == "/" {
                    selfClosing = true
                    k += 1
                    continue
                }
                var attribute = ""
                while k < s.count, !" \n\t=/>".unicodeScalars.contains(s[k]) {
                    attribute.unicodeScalars.append(s[k])
                    k += 1
                }
                var value = ""
                if k < s.count, s[k] == "=" {
                    k += 1
                    if k < s.count, s[k] == "\"" || s[k] == "'" {
                        let quote = s[k]
                        k += 1
                        while k < s.count, s[k] != quote {
                            value.unicodeScalars.append(s[k])
                            k += 1
                        }
                        k += 1
                    } else {
                        while k < s.count, !" \n\t>".unicodeScalars.contains(s[k]) {
                            value.unicodeScalars.append(s[k])
                            k += 1
                        }
                    }
                }
                if !attribute.isEmpty { attributes[attribute.lowercased()] = decode(value) }
            }
            i = k + 1
            let node = HTMLNode(tag: name, attributes: attributes)
            stack.last!.append(node)
            if void.contains(name) || selfClosing { continue }
            if raw.contains(name) {
                let end = find("</\(name)", from: i) ?? s.count
                let content = scalars(s[i..<end])
                if !content.isEmpty {
                    node.append(HTMLNode(tag: "#text", text: name == "script" ? content : decode(content)))
                }
                i = (find(">", from: end) ?? s.count) + 1
                continue
            }
            stack.append(node)
        }
        flushText()
        return root
    }

    /// Decodes the character references a serialiser writes (`&amp;` `&lt;` `&gt;` `&quot;`
    /// `&#39;` `&nbsp;` and numeric ones).
    static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{a0}"]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].prefix(12).firstIndex(of: ";") else {
                out += "&"
                rest = rest[rest.index(after: amp)...]
                continue
            }
            let name = String(rest[rest.index(after: amp)..<semi])
            if let v = named[name] {
                out += v
            } else if name.hasPrefix("#x") || name.hasPrefix("#X"), let n = UInt32(name.dropFirst(2), radix: 16),
                let u = Unicode.Scalar(n)
            {
                out.unicodeScalars.append(u)
            } else if name.hasPrefix("#"), let n = UInt32(name.dropFirst()), let u = Unicode.Scalar(n) {
                out.unicodeScalars.append(u)
            } else {
                out += "&" + name + ";"
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }
}

private func scalars(_ slice: ArraySlice<Unicode.Scalar>) -> String {
    var view = String.UnicodeScalarView()
    view.append(contentsOf: slice)
    return String(view)
}

extension String {
    fileprivate func trimmed() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
