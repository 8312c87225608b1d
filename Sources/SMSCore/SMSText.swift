/// Text shaping for SMS bodies and Zendesk comments.
public enum SMSText {
    /// Twilio's and Klaviyo's limit on one message body, in characters (Unicode code points).
    public static let maxMessageLength = 1600

    /// The body without NUL characters, otherwise verbatim (emoji, accents and line breaks kept).
    public static func clean(_ body: String) -> String {
        guard body.unicodeScalars.contains("\u{0}") else { return body }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: body.unicodeScalars.filter { $0 != "\u{0}" })
        return String(out)
    }

    /// The Zendesk comment for an inbound text: the body, then a line saying how many attachments
    /// (images, GIFs) were not shown. A media-only text is just that line.
    public static func inboundComment(body: String, mediaCount: Int) -> String {
        let text = clean(body)
        guard mediaCount > 0 else { return text }
        let note =
            mediaCount == 1
            ? "[1 attachment was not shown (images and GIFs are not synced)]"
            : "[\(mediaCount) attachments were not shown (images and GIFs are not synced)]"
        return text.trimmed().isEmpty ? note : text + "\n\n" + note
    }

    /// Splits `text` into ordered parts of at most `limit` Unicode code points — the unit Twilio's
    /// 1600-character limit counts (a "👍🏽" is one Swift `Character` but two code points) —
    /// breaking at white space where possible (a single word longer than the limit is cut, never
    /// inside a character). Parts are trimmed; a text within the limit is one part.
    public static func split(_ text: String, limit: Int = maxMessageLength) -> [String] {
        if text.unicodeScalars.count <= limit { return [text] }
        let chars = Array(text)
        var parts: [String] = []
        var start = 0
        while start < chars.count {
            // Skip white space at the start of a part.
            while start < chars.count, chars[start].isWhitespace { start += 1 }
            if start >= chars.count { break }
            // The longest run of whole characters within the limit.
            var end = start, units = 0
            while end < chars.count, units + chars[end].unicodeScalars.count <= limit {
                units += chars[end].unicodeScalars.count
                end += 1
            }
            if end == start { end = start + 1 }  // one character over the limit on its own
            if end < chars.count {
                var cut = end
                while cut > start, !chars[cut].isWhitespace { cut -= 1 }
                if cut > start { end = cut }
            }
            let part = String(chars[start..<end]).trimmed()
            if !part.isEmpty { parts.append(part) }
            start = end
        }
        return parts
    }

    /// Plain text of a comment body that may hold HTML: tags dropped, `<br>`/`</p>` become line
    /// breaks, the common entities decoded.
    public static func plainText(_ text: String) -> String {
        guard text.contains("<") || text.contains("&") else { return text }
        var out = ""
        var tag = ""
        var inTag = false
        for ch in text {
            if inTag {
                if ch == ">" {
                    inTag = false
                    let name = tag.lowercased().trimmed()
                    if name.hasPrefix("br") || name.hasPrefix("/p") || name.hasPrefix("/div") || name.hasPrefix("/li") {
                        out += "\n"
                    }
                    tag = ""
                } else {
                    tag.append(ch)
                }
            } else if ch == "<" {
                inTag = true
            } else {
                out.append(ch)
            }
        }
        let entities = [
            ("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&apos;", "'"),
            ("&amp;", "&"),
        ]
        for (e, r) in entities { out = out.replacingAll(e, with: r) }
        return out.trimmed()
    }
}

import FunctionRuntime
