import BundleCore
import SMSCore
import Testing

@Suite struct SMSKeywordsTests {
    let contains = SMSKeywords(automation: ["promo", "VIP Club"])
    let exact = SMSKeywords(automation: [], optOutMatching: .exact)
    let us = "+15551230000"
    let uk = "+447700900123"

    @Test(arguments: SMSKeywords.optOutWords)
    func optOutWordsAlone(word: String) {
        #expect(contains.match(word, from: uk) == .optOut)
        #expect(contains.match(word.lowercased() + "!", from: uk) == .optOut)
        #expect(exact.match("  \(word.lowercased()). ", from: uk) == .optOut)
    }

    @Test(arguments: SMSKeywords.optInWords)
    func optInWordsOnlyAsWholeMessage(word: String) {
        #expect(contains.match(word, from: uk) == .optIn)
        #expect(contains.match("\(word.capitalized)!!", from: us) == .optIn)
        #expect(contains.match("I want to \(word.lowercased()) the club tomorrow", from: us) == nil)
    }

    @Test(arguments: ["HELP", "help", "Help!", "INFO", "info?"])
    func helpAndInfoOpenConversations(text: String) {
        #expect(contains.match(text, from: us) == nil)
        #expect(exact.match(text, from: us) == nil)
    }

    @Test func sentencesContainingKeywords() {
        // Klaviyo's default: an opt-out word anywhere, as a whole word.
        #expect(contains.match("Please stop texting me", from: uk) == .optOut)
        #expect(contains.match("please opt out", from: uk) == .optOut)
        // Not a whole word.
        #expect(contains.match("The bus stopped early", from: uk) == nil)
        #expect(contains.match("I need help with my order", from: us) == nil)
        #expect(contains.match("How do I join the VIP list?", from: us) == nil)
    }

    @Test func exactMatchingKeepsUSStopAsWord() {
        #expect(exact.match("Please stop texting me", from: uk) == nil)
        #expect(exact.match("Please stop texting me", from: us) == .optOut)
        #expect(exact.match("please cancel my order", from: us) == nil)
        #expect(exact.match("please cancel my order", from: uk) == nil)
        #expect(contains.match("please cancel my order", from: uk) == .optOut)
    }

    @Test func automationKeywordsAsWholeMessage() {
        #expect(contains.match("PROMO", from: us) == .automation)
        #expect(contains.match("  vip   club. ", from: us) == .automation)
        #expect(contains.match("is the promo still on?", from: us) == nil)
    }

    @Test func ordinaryMessages() {
        #expect(contains.match("Hi, my order #123 has not arrived", from: us) == nil)
        #expect(contains.match("😀", from: us) == nil)
        #expect(contains.match("", from: us) == nil)
    }
}

@Suite struct PhoneNumberTests {
    @Test func dialableAndBranded() {
        #expect(PhoneNumber.isDialable("+15559870000"))
        #expect(PhoneNumber.isDialable("12345"))  // short code
        #expect(!PhoneNumber.isDialable("ACMESHOP"))
        #expect(!PhoneNumber.isDialable("Acme 2"))
        #expect(PhoneNumber.isUS("+15551230000"))
        #expect(!PhoneNumber.isUS("+447700900123"))
        #expect(PhoneNumber.normalize("+1 (555) 123-0000") == "+15551230000")
        #expect(PhoneNumber.normalize("0044 7700 900123") == "+447700900123")
    }
}
