/// Outcome rows recorded for an experiment that its results did not count, by reason (each row
/// counted once, under the first reason that applies, in this order).
public struct OutcomesNotCounted: Sendable, Hashable, Codable {
    /// The profile has no assignment in the experiment.
    public var unassignedProfile: Int
    /// Exposure mode: the profile is assigned but not in the cohort (no exposure, or an invalid
    /// one: another variant logged, exposed before assignment or outside the dates). Always 0 in
    /// ITT, where every assigned profile is in the cohort.
    public var notValidlyExposed: Int
    /// Outside the experiment's dates: before `start_at`, or after `end_at` plus the window.
    public var outsideExperimentDates: Int
    /// Before the unit's anchor: its assignment (ITT) or its first exposure (exposure mode).
    public var beforeAssignment: Int
    /// After the unit's conversion window.
    public var afterWindow: Int

    public init(unassignedProfile: Int = 0, notValidlyExposed: Int = 0, outsideExperimentDates: Int = 0, beforeAssignment: Int = 0, afterWindow: Int = 0) {
        self.unassignedProfile = unassignedProfile
        self.notValidlyExposed = notValidlyExposed
        self.outsideExperimentDates = outsideExperimentDates
        self.beforeAssignment = beforeAssignment
        self.afterWindow = afterWindow
    }

    public var total: Int { unassignedProfile + notValidlyExposed + outsideExperimentDates + beforeAssignment + afterWindow }

    enum CodingKeys: String, CodingKey {
        case unassignedProfile = "unassigned_profile"
        case notValidlyExposed = "not_validly_exposed"
        case outsideExperimentDates = "outside_experiment_dates"
        case beforeAssignment = "before_assignment"
        case afterWindow = "after_window"
    }
}

/// Exposure rows recorded for an experiment that exposure-based results did not count (their
/// unit is not in the cohort), by the unit's reason — the statuses of the exposure validation,
/// and exposures of profiles never assigned.
public struct ExposuresNotCounted: Sendable, Hashable, Codable {
    public var unassignedProfile: Int
    public var multiVariationExposure: Int
    public var variantMismatch: Int
    public var preAssignmentExposure: Int
    public var exposureOutsideWindow: Int

    public init(
        unassignedProfile: Int = 0, multiVariationExposure: Int = 0, variantMismatch: Int = 0, preAssignmentExposure: Int = 0, exposureOutsideWindow: Int = 0
    ) {
        self.unassignedProfile = unassignedProfile
        self.multiVariationExposure = multiVariationExposure
        self.variantMismatch = variantMismatch
        self.preAssignmentExposure = preAssignmentExposure
        self.exposureOutsideWindow = exposureOutsideWindow
    }

    public var total: Int { unassignedProfile + multiVariationExposure + variantMismatch + preAssignmentExposure + exposureOutsideWindow }

    enum CodingKeys: String, CodingKey {
        case unassignedProfile = "unassigned_profile"
        case multiVariationExposure = "multi_variation_exposure"
        case variantMismatch = "variant_mismatch"
        case preAssignmentExposure = "pre_assignment_exposure"
        case exposureOutsideWindow = "exposure_outside_window"
    }
}

/// Both exclusion counts of one results computation.
public struct NotCounted: Sendable, Hashable {
    public var outcomes: OutcomesNotCounted
    /// Exposure mode only.
    public var exposures: ExposuresNotCounted?

    public init(outcomes: OutcomesNotCounted, exposures: ExposuresNotCounted?) {
        self.outcomes = outcomes
        self.exposures = exposures
    }
}
