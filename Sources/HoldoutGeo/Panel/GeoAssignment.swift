/// Which geos are control and which are treatment, and for paired designs which pair each
/// geo belongs to.
///
/// ```swift
/// let assignment = GeoAssignment(control: ["a", "b"], treatment: ["c", "d"])
/// ```
public struct GeoAssignment: Sendable, Hashable, Codable {
    /// A geo's group.
    public enum Group: String, Sendable, Hashable, Codable {
        case control
        case treatment
    }

    /// One geo's assignment.
    public struct Entry: Sendable, Hashable, Codable {
        public var geo: String
        public var group: Group
        /// The pair id in a matched-pairs design.
        public var pair: Int?

        public init(geo: String, group: Group, pair: Int? = nil) {
            self.geo = geo
            self.group = group
            self.pair = pair
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Control and treatment geos, unpaired.
    public init(control: [String], treatment: [String]) {
        entries = control.map { Entry(geo: $0, group: .control) } + treatment.map { Entry(geo: $0, group: .treatment) }
    }

    /// The assignment resolved against a panel: geo positions per group, pairs by id.
    struct Resolved {
        var control: [Int]
        var treatment: [Int]
        /// (pair id, treatment geo, control geo), ordered by pair id.
        var pairs: [(id: Int, treatment: Int, control: Int)]
    }

    /// Resolves geo names to panel positions.
    /// - Throws: ``GeoError`` `unknown_geo` for a geo the panel lacks; `invalid_input` for a
    ///   geo listed twice, an empty group, or (with `needsPairs`) a pair without exactly one
    ///   control and one treatment geo or a geo without a pair.
    func resolve(in panel: GeoPanel, needsPairs: Bool = false) throws(GeoError) -> Resolved {
        var control: [Int] = []
        var treatment: [Int] = []
        var seen = Set<Int>()
        var pairMembers: [Int: (treatment: Int?, control: Int?)] = [:]
        for (i, entry) in entries.enumerated() {
            guard let g = panel.position(of: entry.geo) else {
                throw GeoError(.unknownGeo, "assignment entry \(i) names geo \(entry.geo), which is not in the panel", geo: entry.geo, row: i)
            }
            guard seen.insert(g).inserted else {
                throw GeoError(.invalidInput, "assignment entry \(i): geo \(entry.geo) is assigned twice", geo: entry.geo, row: i)
            }
            switch entry.group {
            case .control: control.append(g)
            case .treatment: treatment.append(g)
            }
            if needsPairs {
                guard let pair = entry.pair else {
                    throw GeoError(.invalidInput, "assignment entry \(i): geo \(entry.geo) has no pair (a paired analysis needs one)", geo: entry.geo, row: i)
                }
                var members = pairMembers[pair] ?? (nil, nil)
                let clash: Bool
                switch entry.group {
                case .control:
                    clash = members.control != nil
                    members.control = g
                case .treatment:
                    clash = members.treatment != nil
                    members.treatment = g
                }
                if clash {
                    throw GeoError(
                        .invalidInput, "assignment entry \(i): pair \(pair) already has a \(entry.group.rawValue) geo besides \(entry.geo)", geo: entry.geo,
                        row: i)
                }
                pairMembers[pair] = members
            }
        }
        guard !control.isEmpty, !treatment.isEmpty else {
            throw GeoError(.invalidInput, "the assignment needs at least one control and one treatment geo (has \(control.count) and \(treatment.count))")
        }
        var pairs: [(id: Int, treatment: Int, control: Int)] = []
        for (id, members) in pairMembers.sorted(by: { $0.key < $1.key }) {
            guard let t = members.treatment, let c = members.control else {
                throw GeoError(.invalidInput, "pair \(id) needs one control and one treatment geo")
            }
            pairs.append((id, t, c))
        }
        return Resolved(control: control.sorted(), treatment: treatment.sorted(), pairs: pairs)
    }
}
