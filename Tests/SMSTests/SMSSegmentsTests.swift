import SMSCore
import SandboxKit
import Testing

@Suite struct SMSSegmentsTests {
    @Test(arguments: [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
    func gsm7PartSizes(length: Int, segments: Int) {
        let r = SMSSegments.count(for: String(repeating: "a", count: length))
        #expect(r.encoding == .gsm7)
        #expect(r.segments == segments)
    }

    @Test func extensionCharactersCountTwo() {
        // 80 braces = 160 septets: one part; one more character spills over.
        #expect(SMSSegments.count(for: String(repeating: "{", count: 80)) == (1, .gsm7))
        #expect(SMSSegments.count(for: String(repeating: "{", count: 80) + "a").segments == 2)
        #expect(SMSSegments.count(for: "€").encoding == .gsm7)
        // An escape pair is never split: 152 plain + one "[" would straddle part 1's 153rd septet.
        let text = String(repeating: "a", count: 152) + "[" + String(repeating: "a", count: 10)
        #expect(SMSSegments.count(for: text).segments == 2)
    }

    @Test(arguments: [(70, 1), (71, 2), (134, 2), (135, 3)])
    func ucs2PartSizes(length: Int, segments: Int) {
        let r = SMSSegments.count(for: "ж" + String(repeating: "a", count: length - 1))
        #expect(r.encoding == .ucs2)
        #expect(r.segments == segments)
    }

    @Test func emojiCountsTwoUnitsAndIsNeverSplit() {
        #expect(SMSSegments.count(for: "Thanks 😀") == (1, .ucs2))
        #expect(SMSSegments.count(for: String(repeating: "😀", count: 35)) == (1, .ucs2))  // 70 units
        #expect(SMSSegments.count(for: String(repeating: "😀", count: 36)).segments == 2)  // 72 units
        // 66 units then a surrogate pair: the pair cannot straddle the 67-unit boundary.
        let text = String(repeating: "a", count: 65) + "ж" + "😀" + String(repeating: "a", count: 10)
        #expect(SMSSegments.count(for: text) == (2, .ucs2))
        let tight = String(repeating: "a", count: 66) + "😀" + String(repeating: "b", count: 66)  // 134 units
        #expect(SMSSegments.count(for: tight).segments == 3)
    }

    @Test func accentsInGSMStayGSM() {
        #expect(SMSSegments.encoding(for: "Olá, está tudo bem? ñ ü é") == .ucs2)  // á is not GSM-7
        #expect(SMSSegments.encoding(for: "Café é ñ ü") == .gsm7)
    }
}

/// The product's counter and the sandbox's (written separately from Twilio's rules) against
/// Twilio's published examples, then against each other over generated bodies: a counting bug in
/// one no longer passes because the other shares it.
@Suite struct SegmentCountersAgreeTests {
    /// Twilio: 160 GSM-7 characters fit one segment, 161 need two (153 + 8); 306 fit two, 307 three;
    /// with one UCS-2 character 70 fit one, 71 need two (67 + 4); 134 fit two, 135 three;
    /// an extension character (`€`, `{`) counts twice; an emoji is a surrogate pair (two units).
    static let published: [(String, Int)] = [
        (String(repeating: "a", count: 160), 1), (String(repeating: "a", count: 161), 2),
        (String(repeating: "a", count: 306), 2), (String(repeating: "a", count: 307), 3),
        ("é" + String(repeating: "a", count: 69), 1),
        ("ж" + String(repeating: "a", count: 69), 1), ("ж" + String(repeating: "a", count: 70), 2),
        ("ж" + String(repeating: "a", count: 133), 2), ("ж" + String(repeating: "a", count: 134), 3),
        (String(repeating: "€", count: 80), 1), (String(repeating: "€", count: 81), 2),
        (String(repeating: "😀", count: 35), 1), (String(repeating: "😀", count: 36), 2),
        ("", 1),
    ]

    @Test func bothMatchTwilioExamples() {
        for (body, segments) in Self.published {
            #expect(SMSSegments.count(for: body).segments == segments, "product, \(body.count) characters")
            #expect(TwilioSegments.count(body) == segments, "sandbox, \(body.count) characters")
        }
    }

    @Test func bothAgreeOnGeneratedBodies() {
        let alphabet = Array("aZ09 @£{}[]~€^\\|\nñßж😀中")
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0...400, using: &rng)
            let body = String((0..<length).map { _ in alphabet.randomElement(using: &rng)! })
            #expect(SMSSegments.count(for: body).segments == TwilioSegments.count(body), "\(body)")
        }
    }
}
