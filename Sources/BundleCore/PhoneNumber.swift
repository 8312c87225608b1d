/// Phone-number facts the bundle's rules need: the one definition of E.164 that the SMS
/// functions and the Klaviyo profile rules share.
public enum PhoneNumber {
    /// The fewest digits an E.164 number has here. E.164 fixes only the maximum (15 digits with the
    /// country code); the shortest numbers in service have 7 (e.g. Niue +683 and Saint Helena +290,
    /// a 3-digit country code and 4 subscriber digits), so 7 is the minimum accepted.
    public static let minimumDigits = 7
    /// The most digits E.164 allows (ITU-T E.164 §6.1: country code + national number ≤ 15).
    public static let maximumDigits = 15

    /// True for an E.164 number: `+`, then `minimumDigits` to `maximumDigits` digits, the first not zero.
    public static func isE164(_ text: String) -> Bool {
        let chars = Array(text.utf8)
        guard chars.count > minimumDigits, chars.count <= maximumDigits + 1, chars[0] == UInt8(ascii: "+"),
            chars[1] != UInt8(ascii: "0")
        else { return false }
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

    /// A number in E.164 when it is recognisably one: spaces, tabs, dashes, dots and brackets are
    /// dropped and a leading `00` becomes `+`; nil when the result is not E.164.
    public static func e164(_ text: String?) -> String? {
        guard let text else { return nil }
        var digits = ""
        for ch in text.trimmed() where !" \t-.()".contains(ch) { digits.append(ch) }
        if digits.hasPrefix("00") { digits = "+" + digits.dropFirst(2) }
        return isE164(digits) ? digits : nil
    }

    /// `e164(text)` when there is one, else `text` trimmed, unchanged.
    public static func normalize(_ text: String) -> String { e164(text) ?? text.trimmed() }
}
