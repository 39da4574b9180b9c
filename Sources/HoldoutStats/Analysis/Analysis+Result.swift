extension Analysis {
    /// What an analysis found: one entry per treatment arm, in the order given.
    ///
    /// ```json
    /// {"settings": {"metric": "proportion", "method": "frequentist", …},
    ///  "treatments": [{"comparison": {"uplift_abs": 0.01625, "ci_low": …, …},
    ///                  "p_value_holm": 0.36, "p_value_bh": 0.36, "p_value_adjusted": 0.36}]}
    /// ```
    ///
    /// A `cuped` object — ``RegressionAdjustment/Result``'s shape, the one `holdout results`
    /// uses — appears on each treatment when CUPED was asked for.
    public struct Result: Sendable, Hashable, Codable {
        /// One treatment arm against control.
        public struct Treatment: Sendable, Hashable, Codable {
            /// The comparison of the settings' test (intervals are the method's).
            public var comparison: Comparison
            /// Holm-adjusted p-value across the treatments (with one treatment, its p-value);
            /// `nil` without a p-value (Bayesian results, insufficient data).
            public var pValueHolm: Double?
            /// Benjamini–Hochberg-adjusted p-value across the treatments.
            public var pValueBH: Double?
            /// The p-value to compare with α under the settings' correction (the unadjusted
            /// p-value with ``Settings/Correction/none``).
            public var pValueAdjusted: Double?
            /// The regression-adjusted comparison, when ``Settings/isCUPED``.
            public var cuped: RegressionAdjustment.Result?

            public init(
                comparison: Comparison, pValueHolm: Double? = nil, pValueBH: Double? = nil, pValueAdjusted: Double? = nil,
                cuped: RegressionAdjustment.Result? = nil
            ) {
                self.comparison = comparison
                self.pValueHolm = pValueHolm
                self.pValueBH = pValueBH
                self.pValueAdjusted = pValueAdjusted
                self.cuped = cuped
            }

            enum CodingKeys: String, CodingKey {
                case comparison, cuped
                case pValueHolm = "p_value_holm"
                case pValueBH = "p_value_bh"
                case pValueAdjusted = "p_value_adjusted"
            }

            /// Every key with `null` for absent p-values; `cuped` only when computed.
            public func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(comparison, forKey: .comparison)
                try c.encode(pValueHolm, forKey: .pValueHolm)
                try c.encode(pValueBH, forKey: .pValueBH)
                try c.encode(pValueAdjusted, forKey: .pValueAdjusted)
                try c.encodeIfPresent(cuped, forKey: .cuped)
            }
        }

        public var settings: Settings
        public var treatments: [Treatment]

        public init(settings: Settings, treatments: [Treatment]) {
            self.settings = settings
            self.treatments = treatments
        }

        /// The comparisons with their Holm and Benjamini–Hochberg p-values, as
        /// ``MultiArmComparison``.
        public var multiArm: MultiArmComparison {
            MultiArmComparison(
                comparisons: treatments.map(\.comparison), holm: treatments.map(\.pValueHolm),
                benjaminiHochberg: treatments.map(\.pValueBH))
        }
    }
}
