/// What both SMS functions do when a reply did not reach the customer.
public enum SMSDeliveryFailure {
    /// The status a ticket takes so an undelivered reply comes back to an agent: `open` when it
    /// was `pending`, `hold` or `solved` (the agent thought it answered); otherwise unchanged.
    public static func reopenedStatus(_ current: String?) -> String? {
        ["pending", "hold", "solved"].contains(current ?? "") ? "open" : nil
    }

    /// The closing sentence of every undelivered-reply note.
    public static let advice = "Reply by another channel, or by SMS once the customer's phone can receive it."
}
