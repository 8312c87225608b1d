import FoundationEssentials

/// Masks customer phone numbers, email addresses and configured secrets in text bound for logs.
///
/// A phone number keeps its first three and last two digits (`+15*******00`), an email its first
/// letter and domain (`p***@example.com`), a secret is replaced by `[secret]`.
public struct Redactor: Sendable {
    public let secrets: [String]

    public init(secrets: [String] = []) {
        self.secrets = secrets.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    public func redact(_ text: String) -> String {
        var s = text
        for secret in secrets where s.includes(secret) {
            s = s.replacingAll(secret, with: "[secret]")
        }
        return maskEmails(maskPhones(s))
    }

    /// Runs of 7 or more digits (optionally led by `+` or `%2B`, with spaces, dots or dashes
    /// between digits) are treated as phone numbers — unless they are part of a word (ids such
    /// as `SM…` or hex stay greppable).
    ///
    /// Text that is all ASCII without a carriage return — each byte a character of its own, what
    /// nearly every log line is — is scanned as bytes (`maskPhonesASCII`), the same rules.
    func maskPhones(_ s: String) -> String {
        // A phone number needs 7 ASCII digits: text with fewer is returned as it is, unscanned.
        var digits = 0
        for b in s.utf8 where b >= 48 && b <= 57 {
            digits += 1
            if digits >= 7 { break }
        }
        guard digits >= 7 else { return s }
        if s.isOneBytePerCharacter { return maskPhonesASCII(Array(s.utf8)) }
        return maskPhonesCharacters(s)
    }

    /// `maskPhones` on text made of characters (any text).
    func maskPhonesCharacters(_ s: String) -> String {
        let chars = Array(s)
        var out = ""
        var i = 0
        while i < chars.count {
            // Find a candidate run starting at i.
            var j = i
            var prefix = ""
            if chars[j] == "+" {
                prefix = "+"; j += 1
            } else if j + 2 < chars.count, chars[j] == "%", chars[j + 1] == "2",
                chars[j + 2] == "B" || chars[j + 2] == "b"
            {
                prefix = String(chars[j...j + 2]); j += 3
            }
            var digits: [Character] = []
            var k = j
            while k < chars.count {
                if chars[k].isASCII, chars[k].isNumber {
                    digits.append(chars[k]); k += 1
                } else if (chars[k] == " " || chars[k] == "-" || chars[k] == "."), k + 1 < chars.count,
                    chars[k + 1].isASCII, chars[k + 1].isNumber, !digits.isEmpty
                {
                    k += 1
                } else {
                    break
                }
            }
            // Digits inside a word (a Twilio SID, a hex id, a Klaviyo id, a tag such as
            // `sms_reply_5003_claim_1796164220_…`) are no phone number; a percent-escape before it
            // (`%3A%2B44…`) is a separator, not a word.
            func isWordCharacter(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_") }
            let escapeBefore = i >= 3 && chars[i - 3] == "%"
            let insideWord =
                (prefix.isEmpty && i > 0 && isWordCharacter(chars[i - 1]) && !escapeBefore)
                || (k < chars.count && chars[k].isASCII && (chars[k].isLetter || chars[k] == "_"))
            // A date (`2010-04-01`, Twilio's API version in every path; `2026-12-01T…`) is no phone number.
            let run = String(chars[j..<k])
            let isDate =
                prefix.isEmpty && run.count == 10
                && run.enumerated().allSatisfy { i, c in [4, 7].contains(i) ? c == "-" : c.isNumber }
            if digits.count >= 7, !insideWord, !isDate {
                out +=
                    prefix + String(digits.prefix(3)) + String(repeating: "*", count: digits.count - 5)
                    + String(digits.suffix(2))
                i = k
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }

    func maskEmails(_ s: String) -> String {
        guard s.includes("@") || s.includes("%40") else { return s }
        if s.isOneBytePerCharacter { return maskEmailsASCII(Array(s.utf8)) }
        return maskEmailsCharacters(s)
    }

    /// `maskEmails` on text made of characters (any text).
    func maskEmailsCharacters(_ s: String) -> String {
        let chars = Array(s)
        var out = ""
        var i = 0
        func isLocal(_ c: Character) -> Bool { c.isLetter || c.isNumber || ".+_-%".contains(c) }
        func isDomain(_ c: Character) -> Bool { c.isLetter || c.isNumber || ".-".contains(c) }
        while i < chars.count {
            var atLen = 0
            if chars[i] == "@" {
                atLen = 1
            } else if i + 2 < chars.count, chars[i] == "%", chars[i + 1] == "4", chars[i + 2] == "0" {
                atLen = 3
            }
            if atLen > 0 {
                // Walk back over the local part already copied to `out`.
                var local = 0
                var o = Array(out)
                while local < o.count, isLocal(o[o.count - 1 - local]) { local += 1 }
                var d = i + atLen
                while d < chars.count, isDomain(chars[d]) { d += 1 }
                if local > 0, d > i + atLen {
                    let first = o[o.count - local]
                    o.removeLast(local)
                    out = String(o) + String(first) + "***" + String(chars[i..<d])
                    i = d
                    continue
                }
            }
            out.append(chars[i])
            i += 1
        }
        return out
    }
}
