import SMSCore
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
        #expect(SMSSegments.count(for: String(repeating: "😀", count: 35)) == (1, .ucs2))   // 70 units
        #expect(SMSSegments.count(for: String(repeating: "😀", count: 36)).segments == 2)   // 72 units
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
