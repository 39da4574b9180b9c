import HoldoutModel
package import SQLKit

// MARK: Time series

extension AnalyticsQueries {
    /// Units assigned per variant and UTC day (days since the epoch): columns `variant`, `day`,
    /// `n`.
    package func assignmentsByDay(experimentID: Int64) -> SQLQueryString {
        let assignedDay = dialect.floorDivide("assigned_at", "86400000000")
        return
            "SELECT variant, \(unsafeRaw: assignedDay) AS day, COUNT(*) AS n FROM experiment_assignments WHERE experiment_id = \(bind: experimentID) GROUP BY variant, \(unsafeRaw: assignedDay)"
    }

    /// Converted units per variant by the UTC day of their first conversion within `window`
    /// microseconds of their assignment (0: no limit): columns `variant`, `day`, `n`.
    package func conversionsByDay(experimentID: Int64, window: Int64) -> SQLQueryString {
        let convertedDay = dialect.floorDivide("MIN(o.conversion_ts)", "86400000000")
        return """
            SELECT variant, day, COUNT(*) AS n FROM (
                SELECT a.variant AS variant, \(unsafeRaw: convertedDay) AS day
                FROM experiment_outcomes o
                CROSS JOIN experiment_assignments a
                WHERE o.experiment_id = \(bind: experimentID) AND o.metric = \(bind: metric) AND a.experiment_id = \(bind: experimentID) AND a.profile_id = o.profile_id
                    AND o.conversion_ts >= a.assigned_at AND (\(bind: window) = 0 OR o.conversion_ts < a.assigned_at + \(bind: window))
                GROUP BY a.profile_id, a.variant) c
            GROUP BY variant, day
            """
    }
}
