import HoldoutModel

/// 2026-03-01T00:00:00Z.
let march1 = Timestamp(microseconds: 20_513 * 86_400_000_000)

func day(_ offset: Int64) -> Timestamp { Timestamp(microseconds: march1.microseconds + offset * 86_400_000_000) }

func experiment(id: Int64, key: String, status: ExperimentStatus = .running, variants: [Variant]? = nil, tenant: String = "default") -> Experiment {
    Experiment(
        id: id, key: key, name: key, channel: nil, status: status, startAt: nil, endAt: nil, conversionKey: nil, conversionWindowDays: 7,
        variants: variants ?? [Variant(name: "control", weight: 0.5), Variant(name: "treatment", weight: 0.5)], salt: key, notes: nil, tenant: tenant,
        createdAt: march1, updatedAt: march1)
}

/// Statistics of a conversion-only arm (each converter's value 1).
func arm(_ variant: String, units: Int, converters: Int, segment: String? = nil) -> VariantStatistics {
    VariantStatistics(
        variant: variant, segment: segment, units: units, converters: converters, sumValue: Double(converters), sumValueSquares: Double(converters),
        sumX: [], sumXY: [], sumXX: [])
}
