/// How Twilio counts the segments of a message body (`num_segments`), implemented here from
/// Twilio's published rules independently of the product's own counter, so that the sandbox can
/// catch a counting bug in the bundle instead of agreeing with it.
///
/// Twilio ("What the heck is a segment?", and its Segment Calculator): a body whose every character
/// is in the GSM 03.38 default alphabet or its extension table is sent as GSM-7, where a default
/// character takes one septet and an extension character two (escape + character). Any other
/// character makes the whole body UCS-2, counted in UTF-16 code units. One segment carries 160
/// septets or 70 units; a longer body is split into segments of 153 septets or 67 units (the user
/// data header takes the rest), and an escape pair or a surrogate pair is never split.
public enum TwilioSegments {
    /// The GSM 03.38 default alphabet, in table order (0x00–0x7F); 0x1B is the escape to the
    /// extension table and stands for no character.
    static let defaultTable: [Unicode.Scalar] = Array(
        ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1B}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà").unicodeScalars)

    /// The extension table's characters (each sent as escape + code).
    static let extensionTable: [Unicode.Scalar] = Array("\u{0C}^{}\\[~]|€".unicodeScalars)

    /// The septets each character of `body` takes in GSM-7, or nil when one is not in GSM-7.
    static func septets(_ body: String) -> [Int]? {
        var out: [Int] = []
        for scalar in body.unicodeScalars {
            if scalar != "\u{1B}", defaultTable.contains(scalar) {
                out.append(1)
            } else if extensionTable.contains(scalar) {
                out.append(2)
            } else {
                return nil
            }
        }
        return out
    }

    /// Twilio's `num_segments` for `body` (an empty body is one segment).
    public static func count(_ body: String) -> Int {
        if let units = septets(body) { return segments(units, whole: 160, split: 153) }
        return segments(body.unicodeScalars.map { $0.value > 0xFFFF ? 2 : 1 }, whole: 70, split: 67)
    }

    /// Fills segments of `split` capacity with indivisible characters, unless all fit in `whole`.
    static func segments(_ sizes: [Int], whole: Int, split: Int) -> Int {
        guard sizes.reduce(0, +) > whole else { return 1 }
        var count = 0, room = 0
        for size in sizes {
            if size > room { count += 1; room = split }
            room -= size
        }
        return count
    }
}
