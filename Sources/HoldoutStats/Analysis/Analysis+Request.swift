extension Analysis {
    /// An analysis as a client sends it: the settings' keys at the top level, `control`, and
    /// either one `treatment` or an array `treatments`.
    ///
    /// ```json
    /// {"metric": "proportion", "method": "frequentist", "alpha": 0.05,
    ///  "control": {"n": 200, "conversions": 8}, "treatment": {"n": 800, "conversions": 45}}
    /// ```
    ///
    /// Decoding refuses unknown keys, validates the settings (``Settings/validate()``) and each
    /// arm's sums, and throws ``StatsError`` naming the field (`treatments[1].conversions`).
    public struct Request: Sendable, Hashable, Codable {
        public var settings: Settings
        public var control: Arm
        public var treatments: [Arm]
        /// Whether the arms were listed as `treatments` (an array, even of one) rather than one
        /// `treatment`; an answer may follow the request's shape.
        public var isMultiArm: Bool

        public init(settings: Settings, control: Arm, treatments: [Arm], isMultiArm: Bool? = nil) {
            self.settings = settings
            self.control = control
            self.treatments = treatments
            self.isMultiArm = isMultiArm ?? (treatments.count != 1)
        }

        public init(from decoder: any Decoder) throws {
            let object = try WireObject(decoder)
            try object.rejectUnknownKeys(Settings.keys.union(["control", "treatment", "treatments"]))
            let settings = try Settings(wire: object)
            let control = try object.object("control")
            let isMultiArm = object.has("treatments")
            let treatments: [any Decoder]
            if isMultiArm {
                if object.has("treatment") {
                    throw StatsError(.invalidInput, "give either \"treatment\" or \"treatments\", not both", field: object.name("treatments"))
                }
                treatments = try object.objects("treatments")
                if treatments.isEmpty {
                    throw StatsError(.invalidInput, "\(object.name("treatments")): needs at least one arm", field: object.name("treatments"))
                }
            } else {
                treatments = [try object.object("treatment")]
            }
            func arm(_ decoder: any Decoder) throws(StatsError) -> Arm {
                try Arm(wire: try WireObject(decoder), metric: settings.metric, isCUPED: settings.isCUPED)
            }
            let controlArm = try arm(control)
            var arms: [Arm] = []
            for treatment in treatments { arms.append(try arm(treatment)) }
            self.init(settings: settings, control: controlArm, treatments: arms, isMultiArm: isMultiArm)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: WireObject.Key.self)
            try settings.encode(into: &c)
            try c.encode(control, forKey: .init("control"))
            if isMultiArm || treatments.count != 1 {
                try c.encode(treatments, forKey: .init("treatments"))
            } else {
                try c.encode(treatments[0], forKey: .init("treatment"))
            }
        }
    }
}
