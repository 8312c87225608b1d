import BundleCore

/// Why a keyword message opens no conversation.
public enum KeywordKind: String, Sendable, Equatable {
    /// Opt-out / compliance words (STOP, UNSUBSCRIBE, …).
    case optOut = "opt_out"
    /// Opt-in words (JOIN, START, …).
    case optIn = "opt_in"
    /// A configured automation keyword (`SMS_KEYWORDS`).
    case automation
}

/// How opt-out words are recognised (`SMS_OPTOUT_MATCH`).
public enum OptOutMatching: String, Sendable {
    /// Klaviyo's default: the word anywhere in the message, as a whole word.
    case containsWord = "contains"
    /// Only a message that is the keyword and nothing else (STOP from a US number still matches
    /// as a word, as Klaviyo always does).
    case exact
}

/// Klaviyo's keyword rules for inbound texts.
///
/// - Opt-out words match as a whole word anywhere (`containsWord`) or as the whole message
///   (`exact`); STOP from a US number always matches as a word.
/// - Opt-in words and automation keywords match only as the whole message.
/// - HELP and INFO are not keywords here: they open or continue a conversation.
///
/// "The whole message" is the text trimmed, case-folded, with surrounding punctuation stripped and
/// inner white space collapsed (so "OPT  OUT" and "stop!" match).
public struct SMSKeywords: Sendable {
    public static let optOutWords = [
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT",
    ]
    public static let optInWords = ["JOIN", "START", "UNSTOP", "YES", "SUBSCRIBE"]
    /// Words that open a conversation even though Klaviyo auto-answers them too.
    public static let conversationWords = ["HELP", "INFO"]

    public let automation: [String]
    public let optOutMatching: OptOutMatching

    public init(automation: [String] = [], optOutMatching: OptOutMatching = .containsWord) {
        self.automation = automation.map { SMSKeywords.fold($0) }.filter { !$0.isEmpty }
        self.optOutMatching = optOutMatching
    }

    /// The keyword kind `body` (sent from `from`) amounts to, or nil for an ordinary message.
    public func match(_ body: String, from: String) -> KeywordKind? {
        let whole = SMSKeywords.fold(body)
        if whole.isEmpty { return nil }
        if SMSKeywords.optOutWords.contains(whole) { return .optOut }
        let words = SMSKeywords.words(body)
        switch optOutMatching {
        case .containsWord:
            if SMSKeywords.containsOptOut(words) { return .optOut }
        case .exact:
            if PhoneNumber.isUS(from), words.contains("STOP") { return .optOut }
        }
        if SMSKeywords.conversationWords.contains(whole) { return nil }
        if SMSKeywords.optInWords.contains(whole) { return .optIn }
        if automation.contains(whole) { return .automation }
        return nil
    }

    /// True when the word list holds an opt-out word (OPT OUT as two consecutive words).
    static func containsOptOut(_ words: [String]) -> Bool {
        for (i, w) in words.enumerated() {
            if optOutWords.contains(w) { return true }
            if w == "OPT", i + 1 < words.count, words[i + 1] == "OUT" { return true }
        }
        return false
    }

    /// The message as one comparable string: upper-cased, trimmed, surrounding punctuation and
    /// symbols stripped, runs of white space collapsed to one space.
    public static func fold(_ text: String) -> String {
        words(text).joined(separator: " ")
    }

    /// The message's words, upper-cased: runs of letters and digits (apostrophes inside a word
    /// are kept), everything else separates.
    public static func words(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                || (scalar == "'" && !current.isEmpty)
            {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                result.append(current)
                current = ""
            }
        }
        if !current.isEmpty { result.append(current) }
        return result.map { w in
            var s = w
            while s.hasSuffix("'") { s.removeLast() }
            return s.uppercased()
        }.filter { !$0.isEmpty }
    }
}
