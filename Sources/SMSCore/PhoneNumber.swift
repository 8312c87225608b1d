/// Phone-number facts the SMS rules need.
public enum PhoneNumber {
    /// True for an E.164 number: `+`, then 8 to 15 digits, the first not zero.
    public static func isE164(_ text: String) -> Bool {
        let chars = Array(text.utf8)
        guard chars.count >= 9, chars.count <= 16, chars[0] == UInt8(ascii: "+"), chars[1] != UInt8(ascii: "0") else { return false }
        return chars.dropFirst().allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// True for a sender that is a phone number or a short code (digits only, 3 to 8 of them),
    /// false for an alphanumeric / branded sender id, which cannot receive texts.
    public static func isDialable(_ text: String) -> Bool {
        let t = text.trimmed()
        if isE164(t) { return true }
        let digits = t.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        return digits && (3...8).contains(t.utf8.count)
    }

    /// True for a North American Numbering Plan number (+1 and ten digits): US opt-out rules apply.
    public static func isUS(_ text: String) -> Bool {
        isE164(text) && text.hasPrefix("+1") && text.utf8.count == 12
    }

    /// A number as E.164 when it is recognisably one: spaces, dashes, dots and brackets are
    /// dropped, a leading `00` becomes `+`. Anything else is returned trimmed, unchanged.
    public static func normalize(_ text: String) -> String {
        let t = text.trimmed()
        var digits = ""
        for ch in t where !" -.()".contains(ch) { digits.append(ch) }
        if digits.hasPrefix("00") { digits = "+" + digits.dropFirst(2) }
        return isE164(digits) ? digits : t
    }
}

import FunctionRuntime
