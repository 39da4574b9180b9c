/// What an API key may do: read (GET routes), write (also POST/PATCH), admin. Ordered, so a
/// call needing `write` accepts `write` and `admin`.
public enum KeyScope: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
    case read, write, admin

    var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}
