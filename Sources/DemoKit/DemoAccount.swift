import FunctionRuntime

/// The demo account `serve` and `demo` seed into the sandbox: one brand with an owned SMS
/// number, one agent, and one customer who is a consented SMS subscriber (Zendesk end-user,
/// Klaviyo profile with SMS consent and an SMS conversation with the brand's number).
///
/// The numbers are in the 555-01xx range, reserved for fiction.
public enum DemoAccount {
    public static let brandID: Int64 = 360_001
    public static let brandName = "Acme Outfitters"
    /// The brand's SMS number (owned in the sandbox's Twilio).
    public static let brandNumber = "+15550100100"

    public static let agentID: Int64 = 3001
    public static let agentName = "Avery Agent"
    public static let agentEmail = "avery@acme.example"

    public static let customerID: Int64 = 2001
    public static let customerName = "Casey Customer"
    public static let customerFirstName = "Casey"
    public static let customerEmail = "casey@example.com"
    public static let customerPhone = "+15550100199"
    public static let customerProfileID = "01DEMOCASEYPROFILE00000000"
    public static let conversationID = "01DEMOCASEYCONVERSATION000"

    /// The seed document (`Sandbox.seed`). The number's SMS webhook is not wired here: setup
    /// points it at the invoker's `/sms/inbound` through Twilio's IncomingPhoneNumbers API.
    /// Every record has a fixed id, so seeding again (a restarted `serve`) replaces rather than adds.
    public static func seed() -> JSON {
        [
            "zendesk": [
                "brands": [["id": .int(brandID), "name": .string(brandName), "subdomain": "acme", "default": true]],
                "users": [
                    ["id": .int(agentID), "name": .string(agentName), "email": .string(agentEmail), "role": "agent"],
                    [
                        "id": .int(customerID), "name": .string(customerName), "email": .string(customerEmail),
                        "phone": .string(customerPhone), "role": "end-user",
                    ],
                ],
            ],
            "klaviyo": [
                "profiles": [
                    [
                        "id": .string(customerProfileID), "email": .string(customerEmail),
                        "phone_number": .string(customerPhone),
                        "first_name": .string(customerFirstName), "last_name": "Customer",
                        "subscriptions": [
                            "sms": ["marketing": ["consent": "SUBSCRIBED"], "transactional": ["consent": "SUBSCRIBED"]]
                        ],
                    ]
                ],
                "conversations": [
                    [
                        "id": .string(conversationID), "profile_id": .string(customerProfileID),
                        "number": .string(brandNumber),
                    ]
                ],
            ],
            "twilio": ["numbers": [.string(brandNumber)]],
        ]
    }
}
