import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// `POST /api/conversation-messages` (create_conversation_message): an SMS reply in a profile's
/// conversation, sent from the conversation's Klaviyo number.
///
/// The body follows `ConversationMessageCreateQuery`: `data.type` "conversation-message",
/// `attributes.body` (a non-empty string), `relationships.conversation.data` {type
/// "conversation", id}. An unknown conversation is 404; a profile without SMS consent (marketing
/// or transactional) is refused with 400. Answers 202 with the message resource.
extension KlaviyoEmulator {
    func createConversationMessage(_ request: ServerRequest, context: EmulatorContext) throws -> ServerResponse {
        let data = try document(of: request)["data"]
        try Self.expectType(data, "conversation-message", pointer: "/data/type")
        guard let text = data.at("attributes.body").string, !text.isEmpty else {
            throw KlaviyoError(
                400, "'body' is a required property and must be a non-empty string.", pointer: "/data/attributes/body")
        }
        let related = data.at("relationships.conversation.data")
        guard related.object != nil else {
            throw KlaviyoError(
                400, "'conversation' is a required relationship.", pointer: "/data/relationships/conversation")
        }
        try Self.expectType(related, "conversation", pointer: "/data/relationships/conversation/data/type")
        guard let conversationID = related["id"].string else {
            throw KlaviyoError(400, "'id' is a required property.", pointer: "/data/relationships/conversation/data/id")
        }
        guard let conversation = conversations.first(where: { $0["id"].string == conversationID }) else {
            throw KlaviyoError(404, "A conversation with id \(conversationID) does not exist.")
        }
        let profileID = conversation["profile_id"].string ?? ""
        guard let profile = profile(id: profileID), hasSMSConsent(profile) else {
            throw KlaviyoError(
                400,
                "The profile of conversation \(conversationID) is not subscribed to SMS; the message cannot be sent.",
                code: "sms_not_consented")
        }
        let message: JSON = [
            "id": .string(EmulatorSupport.klaviyoID()), "conversation_id": .string(conversationID),
            "profile_id": .string(profileID), "body": .string(text), "from_number": conversation["number"],
            "to_number": profile["phone_number"], "created": .string(context.nowISO),
        ]
        messages.append(message)
        context.log("klaviyo conversation message sent in conversation \(conversationID)")
        // Klaviyo records the reply as "Received SMS" of the profile (no campaign, no flow).
        _ = recordDelivered(profile: profile, from: conversation["number"], body: text, source: [:], context: context)
        return Self.document(
            202,
            [
                "data": [
                    "type": "conversation-message", "id": message["id"],
                    "attributes": ["body": .string(text), "created": message["created"]],
                    "relationships": [
                        "conversation": ["data": ["type": "conversation", "id": .string(conversationID)]]
                    ],
                ]
            ])
    }
}
