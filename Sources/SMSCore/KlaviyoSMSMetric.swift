/// Klaviyo's own SMS metrics, named from the profile's side (help centre, "SMS Metrics").
public enum KlaviyoSMSMetric {
    /// A message of the brand (campaign, flow or conversation reply) reached the customer.
    public static let received = "Received SMS"
    /// The customer texted one of the brand's numbers.
    public static let sent = "Sent SMS"
}
