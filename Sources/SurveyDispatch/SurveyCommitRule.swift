/// What to do after the survey POST, as a pure rule.
public enum SurveyCommitRule {
    /// How the POST to 2listen ended.
    public enum PostOutcome: Sendable, Equatable {
        /// 2xx.
        case accepted
        /// A final non-2xx answer (401, 400, 500, …): 2listen did not record the survey.
        case refused(status: Int)
        /// The request surely never reached 2listen, or it kept answering 429/503 ("not processed").
        case notSent
        /// Sent, but the answer was lost (connection dropped, 502/504): it may have been recorded.
        case unknown
    }

    public enum Effect: Sendable, Equatable {
        /// Add these tags and remove the claim (one ticket update).
        case commit(addTags: [String])
        /// Remove the claim so that a later delivery or `--scan` sends the survey.
        case release
    }

    /// Accepted → commit the survey tag. Unknown → commit too, plus `<tag>_unconfirmed`: a second
    /// survey is worse than an unconfirmed one, and the extra tag lets a person check 2listen.
    /// Refused or not sent → release the claim.
    public static func effect(of outcome: PostOutcome, surveyTag: String) -> Effect {
        switch outcome {
        case .accepted: return .commit(addTags: [surveyTag])
        case .unknown: return .commit(addTags: [surveyTag, surveyTag + "_unconfirmed"])
        case .refused, .notSent: return .release
        }
    }
}
