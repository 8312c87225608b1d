/// Klaviyo's own SMS metrics, named from the profile's side (help centre, "SMS Metrics").
public enum KlaviyoSMSMetric {
    /// A message of the brand (campaign, flow or conversation reply) reached the customer.
    public static let received = "Received SMS"
    /// The customer texted one of the brand's numbers.
    public static let sent = "Sent SMS"
    /// A message of the brand was sent but did not reach the customer ("Failed to Deliver SMS",
    /// with its `Failure Type`: Device unreachable, Device disconnected, Carrier violation, …).
    public static let failed = "Failed to Deliver SMS"
}
