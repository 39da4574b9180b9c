import Foundation
import RealModule
import Yams

extension SimulationConfig {
    /// The top-level fields of a config document.
    static let topLevelFields = [
        "name", "description", "experiment_id", "visitors", "seed", "features", "metric", "assignment", "revenue_model", "calibration",
    ]

    /// Parses and validates a YAML config; errors name the line and the field
    /// (`line 14: metric.p1: at column 12: unknown feature 'f9' (features: f0, f1)`).
    ///
    /// ```yaml
    /// name: small
    /// visitors: 10000
    /// seed: 7
    /// features:
    ///   sampler: copula
    ///   columns: [f0, f1, {name: segment, kind: categorical}]
    ///   correlation: {ar1: 0.3}
    /// metric:
    ///   id: conversion_rate
    ///   p0: sigmoid(-3 + 0.4*f0)
    ///   p1: sigmoid(-2.8 + 0.4*f0 - 0.3*f1)
    /// assignment:
    ///   treatment_allocation: 0.5
    /// ```
    public init(yaml text: String) throws(SimulationError) {
        let root = try YAMLField.document(text)
        try root.requireMapping(allowed: Self.topLevelFields)
        let name = try root.child("name").requiredString()
        let visitorsField = root.child("visitors")
        let visitors = try visitorsField.integer(minimum: 1) ?? 100_000
        let seedField = root.child("seed")
        var seed: UInt64 = 0
        if seedField.exists {
            guard case .scalar(let s)? = seedField.node, let value = UInt64(s.string) else {
                throw seedField.error("expected an integer in 0…\(UInt64.max), got \(seedField.kindName)")
            }
            seed = value
        }
        let sampler = try Self.sampler(root.child("features").required())
        let mode = try Self.mode(root.child("metric").required(), features: sampler.surfaceNames)
        let assignmentField = root.child("assignment")
        let assignment = try Self.assignment(assignmentField, levels: mode.levels)
        let revenueField = root.child("revenue_model")
        var revenueModel: CartRevenueModel?
        if revenueField.exists {
            guard mode.metric == .revenuePerVisitor else {
                throw revenueField.error("a revenue model applies to revenue_per_visitor only; remove it or change metric.id")
            }
            revenueModel = try Self.cart(revenueField)
        }
        var covariates: [String]?
        let calibration = root.child("calibration")
        if calibration.exists {
            try calibration.requireMapping(allowed: ["covariates"])
            let list = calibration.child("covariates")
            var names: [String] = []
            for item in try list.list() {
                let n = try item.requiredString()
                guard sampler.features.contains(where: { $0.name == n }) else {
                    throw item.error("'\(n)' is not a feature (features: \(sampler.features.map(\.name).joined(separator: ", ")))")
                }
                names.append(n)
            }
            covariates = names
        }
        do {
            try self.init(
                name: name, experimentID: try root.child("experiment_id").string(), visitors: visitors, seed: seed, sampler: sampler,
                mode: mode, assignment: assignment, revenueModel: revenueModel, covariates: covariates,
                description: try root.child("description").string())
        } catch {
            throw root.error(error.message)
        }
    }

    static func sampler(_ field: YAMLField) throws(SimulationError) -> Sampler {
        try field.requireMapping(allowed: ["sampler", "columns", "correlation", "clusters"])
        let kindField = field.child("sampler")
        let kind = try kindField.string() ?? "copula"
        var specs: [FeatureSpec] = []
        let columnsField = field.child("columns")
        for item in try columnsField.required().list() {
            if case .scalar? = item.node {
                specs.append(FeatureSpec(name: try item.requiredString(), kind: .continuous))
                continue
            }
            try item.requireMapping(allowed: ["name", "kind"])
            let name = try item.child("name").requiredString()
            guard !name.isEmpty else { throw item.child("name").error("must be non-empty") }
            let kindName = try item.child("kind").string() ?? "continuous"
            guard let kind = FeatureKind(rawValue: kindName) else {
                throw item.child("kind").error("must be one of continuous, categorical, binary; got '\(kindName)'")
            }
            specs.append(FeatureSpec(name: name, kind: kind))
        }
        guard !specs.isEmpty else { throw columnsField.error("list at least one feature (e.g. columns: [f0, f1])") }
        var seen = Set<String>()
        for (i, spec) in specs.enumerated() where !seen.insert(spec.name).inserted {
            throw YAMLField(columnsField.node?.sequence?[i], path: "\(columnsField.path)[\(i)]").error("feature '\(spec.name)' is listed twice")
        }
        switch kind {
        case "copula":
            if field.child("clusters").exists { throw field.child("clusters").error("clusters belong to the mixture sampler; use sampler: mixture") }
            let correlationField = field.child("correlation")
            let matrix = try Self.correlation(correlationField, dimension: specs.count)
            do {
                return .copula(try CopulaSampler(features: specs, correlation: matrix))
            } catch {
                throw correlationField.error(error.message.replacingOccurrences(of: "copula: ", with: ""))
            }
        case "mixture":
            if field.child("correlation").exists {
                throw field.child("correlation").error("a correlation belongs to the copula sampler; a mixture's features are independent within a cluster")
            }
            let clustersField = field.child("clusters")
            var weights: [Double] = []
            var clusters: [[String: MixtureSampler.Parameters]] = []
            for cluster in try clustersField.required().list() {
                try cluster.requireMapping(allowed: ["weight"] + specs.map(\.name))
                weights.append(try cluster.child("weight").requiredDouble())
                var parameters: [String: MixtureSampler.Parameters] = [:]
                for spec in specs {
                    let p = cluster.child(spec.name)
                    switch spec.kind {
                    case .continuous:
                        try p.required().requireMapping(allowed: ["mean", "std"])
                        parameters[spec.name] = .continuous(mean: try p.child("mean").requiredDouble(), standardDeviation: try p.child("std").requiredDouble())
                    case .binary:
                        try p.required().requireMapping(allowed: ["prob"])
                        parameters[spec.name] = .binary(probability: try p.child("prob").requiredDouble())
                    case .categorical:
                        try p.required().requireMapping(allowed: ["probs"])
                        var list: [(label: String, probability: Double)] = []
                        for (label, value) in try p.child("probs").required().entries() { list.append((label, try value.requiredDouble())) }
                        parameters[spec.name] = .categorical(list)
                    }
                }
                clusters.append(parameters)
            }
            do {
                return .mixture(try MixtureSampler(features: specs, weights: weights, clusters: clusters))
            } catch {
                throw clustersField.error(error.message.replacingOccurrences(of: "mixture: ", with: ""))
            }
        default:
            throw kindField.error("must be copula or mixture, got '\(kind)'")
        }
    }

    /// `identity` (the default), `{ar1: ρ}` (ρ^|i−j|), `{exchangeable: ρ}` (ρ off the diagonal)
    /// or a full matrix as a list of rows.
    static func correlation(_ field: YAMLField, dimension d: Int) throws(SimulationError) -> [[Double]] {
        let identity = (0..<d).map { i in (0..<d).map { j in i == j ? 1.0 : 0.0 } }
        guard field.exists else { return identity }
        switch field.node {
        case .scalar?:
            guard try field.string() == "identity" else { throw field.error("expected identity, {ar1: ρ}, {exchangeable: ρ} or a list of rows") }
            return identity
        case .mapping?:
            try field.requireMapping(allowed: ["ar1", "exchangeable"])
            if let rho = try field.child("ar1").double() {
                guard rho > -1, rho < 1 else { throw field.child("ar1").error("must be in (−1, 1), got \(rho)") }
                return (0..<d).map { i in (0..<d).map { j in Double.pow(rho, abs(i - j)) } }
            }
            if let rho = try field.child("exchangeable").double() {
                guard rho >= -1 / Double(max(d - 1, 1)), rho < 1 else {
                    throw field.child("exchangeable").error("must be in [−1/(d−1), 1) = [\(-1 / Double(max(d - 1, 1))), 1) for \(d) features, got \(rho)")
                }
                return (0..<d).map { i in (0..<d).map { j in i == j ? 1 : rho } }
            }
            throw field.error("give ar1 or exchangeable")
        default:
            let rows = try field.list()
            guard rows.count == d else { throw field.error("must have \(d) rows, one per feature; got \(rows.count)") }
            var matrix: [[Double]] = []
            for row in rows {
                let values = try row.doubles()
                guard values.count == d else { throw row.error("must have \(d) entries, one per feature; got \(values.count)") }
                matrix.append(values)
            }
            return matrix
        }
    }

    static func surface(_ field: YAMLField, features: Set<String>) throws(SimulationError) -> Surface {
        let text: String
        if case .scalar(let s)? = field.node {
            text = s.string
        } else {
            throw field.error(field.exists ? "expected an expression such as sigmoid(-3 + 0.4*f0), got \(field.kindName)" : "missing (required)")
        }
        guard field.exists else { throw field.error("missing (required)") }
        do {
            return try Surface.parse(text, features: features)
        } catch {
            throw field.error("at column \(error.position): \(error.reason)")
        }
    }

    static func mode(_ field: YAMLField, features: Set<String>) throws(SimulationError) -> MetricMode {
        try field.requireMapping(allowed: ["id", "p0", "p1", "m0", "m1", "sigma0", "sigma1", "p", "m", "sigma"])
        let idField = field.child("id")
        let id = try idField.requiredString()
        guard let metric = MetricMode.Metric(rawValue: id) else {
            throw idField.error("must be one of \(MetricMode.Metric.allCases.map(\.rawValue).joined(separator: ", ")); got '\(id)'")
        }
        let paired = ["p0", "p1", "m0", "m1", "sigma0", "sigma1"].filter { field.child($0).exists }
        let listed = ["p", "m", "sigma"].filter { field.child($0).exists }
        if !paired.isEmpty && !listed.isEmpty {
            throw field.error(
                "cannot mix the paired form (\(paired.joined(separator: ", "))) and the list form (\(listed.joined(separator: ", "))); use p0/p1 for two levels, p: [...] for three or more"
            )
        }
        func optional(_ key: String) throws(SimulationError) -> Surface? {
            field.child(key).exists ? try surface(field.child(key), features: features) : nil
        }
        func surfaces(_ key: String) throws(SimulationError) -> [Surface]? {
            let f = field.child(key)
            guard f.exists else { return nil }
            var out: [Surface] = []
            for item in try f.list() { out.append(try surface(item, features: features)) }
            return out
        }
        do throws(SimulationError) {
            if !listed.isEmpty {
                guard let p = try surfaces("p") else { throw field.child("p").error("missing: the list form needs p: [p0, p1, p2, ...]") }
                if metric == .conversionRate, let extra = ["m", "sigma"].first(where: { field.child($0).exists }) {
                    throw field.child(extra).error("conversion_rate must not have hurdle surfaces (m, sigma)")
                }
                if metric == .revenuePerVisitor, let missing = ["m", "sigma"].first(where: { !field.child($0).exists }) {
                    throw field.child(missing).error("revenue_per_visitor requires m and sigma surfaces, one per level")
                }
                return try MetricMode.multi(metric, p: p, m: try surfaces("m"), sigma: try surfaces("sigma"))
            }
            let p0 = try surface(field.child("p0"), features: features)
            let p1 = try surface(field.child("p1"), features: features)
            if metric == .conversionRate, let extra = ["m0", "m1", "sigma0", "sigma1"].first(where: { field.child($0).exists }) {
                throw field.child(extra).error("conversion_rate must not have revenue (m0/m1) or dispersion (sigma0/sigma1) surfaces")
            }
            if metric == .revenuePerVisitor, let missing = ["m0", "m1", "sigma0", "sigma1"].first(where: { !field.child($0).exists }) {
                throw field.child(missing).error("revenue_per_visitor requires m0, m1, sigma0 and sigma1")
            }
            return try MetricMode.paired(
                metric, p0: p0, p1: p1, m0: try optional("m0"), m1: try optional("m1"), sigma0: try optional("sigma0"), sigma1: try optional("sigma1"))
        } catch {
            if error.message.hasPrefix("line ") { throw error }
            throw field.error(error.message)
        }
    }

    static func assignment(_ field: YAMLField, levels: Int) throws(SimulationError) -> Assignment {
        guard field.exists else {
            return levels == 2 ? .allocation(0.5) : .probabilities([Double](repeating: 1 / Double(levels), count: levels))
        }
        try field.requireMapping(allowed: ["treatment_allocation", "treatment_probabilities"])
        let allocationField = field.child("treatment_allocation")
        let probabilitiesField = field.child("treatment_probabilities")
        let assignment: Assignment
        let blame: YAMLField
        if probabilitiesField.exists {
            assignment = .probabilities(try probabilitiesField.doubles())
            blame = probabilitiesField
        } else if let a = try allocationField.double() {
            assignment = .allocation(a)
            blame = allocationField
        } else {
            assignment = levels == 2 ? .allocation(0.5) : .probabilities([Double](repeating: 1 / Double(levels), count: levels))
            blame = field
        }
        if let a = try allocationField.double(), !(a > 0 && a < 1) {
            throw allocationField.error("must be in (0, 1), got \(a)")
        }
        do {
            try assignment.validate(levels: levels, visitors: 0)
        } catch {
            throw blame.error(error.message)
        }
        return assignment
    }

    static func cart(_ field: YAMLField) throws(SimulationError) -> CartRevenueModel {
        try field.requireMapping(allowed: ["cart"])
        let list = field.child("cart")
        var categories: [CartRevenueModel.Category] = []
        for item in try list.required().list() {
            try item.requireMapping(allowed: ["name", "base_purchase_prob", "base_price", "price_std"])
            categories.append(
                .init(
                    name: try item.child("name").requiredString(), basePurchaseProbability: try item.child("base_purchase_prob").requiredDouble(),
                    basePrice: try item.child("base_price").requiredDouble(), priceStandardDeviation: try item.child("price_std").double() ?? 0))
        }
        do {
            return try CartRevenueModel(categories: categories)
        } catch {
            throw list.error(error.message.replacingOccurrences(of: "cart: ", with: ""))
        }
    }
}
