import SMSCore
import Testing
import FunctionRuntime

@Suite struct SMSTextTests {
    @Test func splitsLongRepliesAtWordBoundaries() {
        let words = (0..<400).map { "word\($0 % 10)" }  // 400 × 5 chars + spaces ≈ 2399 chars
        let text = words.joined(separator: " ")
        let parts = SMSText.split(text)
        #expect(parts.count == 2)
        #expect(parts.allSatisfy { $0.count <= 1600 })
        #expect(parts.joined(separator: " ") == text)
        #expect(!parts[0].hasSuffix(" ") && !parts[1].hasPrefix(" "))
        #expect(parts[0].split(separator: " ").allSatisfy { $0.hasPrefix("word") && $0.count == 5 })
    }

    @Test func twoThousandCharacterReply() {
        let text = String(repeating: "abcd ", count: 400)  // 2000 chars
        let parts = SMSText.split(text)
        #expect(parts.count == 2)
        #expect(parts[0].count <= 1600 && parts[0].hasSuffix("abcd"))
        #expect(parts.joined(separator: " ").count == text.trimmed().count)
    }

    /// 801 "👍🏽" are 801 Characters but 1,602 code points: over Twilio's 1600 (it counts code
    /// points), so two parts, none split inside an emoji.
    @Test func splitsByCodePointsNotCharacters() {
        let text = String(repeating: "👍🏽", count: 801)
        let parts = SMSText.split(text)
        #expect(parts.count == 2)
        #expect(parts.allSatisfy { $0.unicodeScalars.count <= 1600 })
        #expect(parts.joined() == text)
        #expect(parts.allSatisfy { $0.allSatisfy { $0 == "👍🏽" } })
    }

    @Test func shortTextIsOnePart() {
        #expect(SMSText.split("hello") == ["hello"])
    }

    @Test func inboundCommentNotesMedia() {
        #expect(SMSText.inboundComment(body: "Look", mediaCount: 0) == "Look")
        #expect(SMSText.inboundComment(body: "Look", mediaCount: 2).hasPrefix("Look\n\n[2 attachments"))
        #expect(SMSText.inboundComment(body: "", mediaCount: 1).hasPrefix("[1 attachment was not shown"))
        #expect(SMSText.inboundComment(body: "a\u{0}b 😀 ação", mediaCount: 0) == "ab 😀 ação")
    }

    @Test func plainTextFromHTML() {
        #expect(SMSText.plainText("<p>Hi &amp; thanks</p><p>Bye</p>") == "Hi & thanks\nBye")
        #expect(SMSText.plainText("no markup") == "no markup")
    }
}

@Suite struct SMSConversationKeyTests {
    @Test func externalIDRoundTrip() {
        let key = SMSConversationKey(customer: "+15551230000", brandNumber: "+15559870000")
        #expect(key.externalID == "sms:+15551230000:+15559870000")
        #expect(SMSConversationKey(externalID: key.externalID) == key)
        #expect(SMSConversationKey(externalID: "order-12") == nil)
        #expect(SMSConversationKey(externalID: nil) == nil)
    }

    @Test func idempotencyKeyDependsOnConversationAndPredecessor() {
        let a = SMSConversationKey(customer: "+15551230000", brandNumber: "+15559870000")
        let b = SMSConversationKey(customer: "+15551230001", brandNumber: "+15559870000")
        #expect(a.idempotencyKey(after: nil) == a.idempotencyKey(after: nil))
        #expect(a.idempotencyKey(after: nil) != b.idempotencyKey(after: nil))
        #expect(a.idempotencyKey(after: nil) != a.idempotencyKey(after: 7))
        #expect(a.idempotencyKey(after: 7) != a.idempotencyKey(after: 8))
    }

    @Test func rfc2822Dates() {
        #expect(Clock.parseRFC2822("Thu, 01 Jan 1970 00:01:00 +0000")?.timeIntervalSince1970 == 60)
        #expect(Clock.parseRFC2822("Sat, 21 Nov 2026 13:30:06 +0000") == Clock.parse("2026-11-21T13:30:06Z"))
        #expect(Clock.parseRFC2822("Sat, 21 Nov 2026 14:30:06 +0100") == Clock.parse("2026-11-21T13:30:06Z"))
        #expect(Clock.parseRFC2822("garbage") == nil)
    }
}
