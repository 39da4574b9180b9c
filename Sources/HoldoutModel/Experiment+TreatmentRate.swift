extension Experiment {
    /// Seed 001's `treatment_rate`: a rate both of whose weights (rate, 1 − rate) are in (0, 1),
    /// for a two-arm experiment. (It is fixed at the first assignment, atomically with writing
    /// it; the store does that, since it depends on what is stored.)
    ///
    /// - Throws: `invalid_input` naming `treatment_rate`.
    public func validateTreatmentRate(_ rate: Double) throws(HoldoutError) {
        guard rate.isFinite, rate > 0, rate < 1, 1 - rate < 1 else {
            throw HoldoutError(.invalidInput, "treatment_rate must be in (0, 1) with 1 − treatment_rate < 1, got \(rate)", field: "treatment_rate")
        }
        guard variants.count == 2 else {
            throw HoldoutError(
                .invalidInput, "'\(key)' has \(variants.count) variants; treatment_rate applies to two-arm experiments (omit it)", field: "treatment_rate")
        }
    }
}
