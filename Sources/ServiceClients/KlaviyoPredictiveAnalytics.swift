import FunctionRuntime

/// A profile's predictive analytics (`additional-fields[profile]=predictive_analytics`; schema
/// `PredictiveAnalytics` of Klaviyo's OpenAPI spec, every member nullable). Klaviyo computes them
/// only for accounts and profiles that qualify; otherwise the members are null.
public struct KlaviyoPredictiveAnalytics: Sendable, Equatable {
    /// Total value of all orders placed so far.
    public var historicCLV: Double?
    /// Predicted value of the orders of the next 365 days.
    public var predictedCLV: Double?
    /// Probability (0–1) that the customer has churned.
    public var churnProbability: Double?
    /// Expected date of the next order (ISO-8601).
    public var expectedDateOfNextOrder: String?
    /// Number of orders placed so far.
    public var historicNumberOfOrders: Double?
    /// Average value of the orders placed.
    public var averageOrderValue: Double?

    public init(
        historicCLV: Double? = nil, predictedCLV: Double? = nil, churnProbability: Double? = nil,
        expectedDateOfNextOrder: String? = nil, historicNumberOfOrders: Double? = nil, averageOrderValue: Double? = nil
    ) {
        self.historicCLV = historicCLV
        self.predictedCLV = predictedCLV
        self.churnProbability = churnProbability
        self.expectedDateOfNextOrder = expectedDateOfNextOrder
        self.historicNumberOfOrders = historicNumberOfOrders
        self.averageOrderValue = averageOrderValue
    }

    /// Reads the `predictive_analytics` object of a profile's attributes.
    public init(_ json: JSON) {
        self.init(
            historicCLV: json["historic_clv"].double, predictedCLV: json["predicted_clv"].double,
            churnProbability: json["churn_probability"].double,
            expectedDateOfNextOrder: json["expected_date_of_next_order"].nonEmptyString,
            historicNumberOfOrders: json["historic_number_of_orders"].double,
            averageOrderValue: json["average_order_value"].double)
    }

    /// True when Klaviyo gave none of the values (the account or profile does not qualify).
    public var isEmpty: Bool {
        historicCLV == nil && predictedCLV == nil && churnProbability == nil && expectedDateOfNextOrder == nil
            && historicNumberOfOrders == nil && averageOrderValue == nil
    }
}
