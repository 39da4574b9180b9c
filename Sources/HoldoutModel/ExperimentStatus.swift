/// The lifecycle of an experiment, an explicit state machine.
///
/// ```
/// draft ──▶ running ──▶ paused ──▶ running
///   │          │          │
///   │          ▼          ▼
///   │       completed ◀───┘
///   ▼          │
/// archived ◀───┘   (archived is final; paused and draft may also be archived)
/// ```
public enum ExperimentStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case draft, running, paused, completed, archived

    /// The statuses this one may move to.
    public var allowedTransitions: Set<ExperimentStatus> {
        switch self {
        case .draft: [.running, .archived]
        case .running: [.paused, .completed]
        case .paused: [.running, .completed, .archived]
        case .completed: [.archived]
        case .archived: []
        }
    }

    /// Whether moving to `next` is allowed (staying put is not a transition).
    public func canTransition(to next: ExperimentStatus) -> Bool {
        allowedTransitions.contains(next)
    }
}
