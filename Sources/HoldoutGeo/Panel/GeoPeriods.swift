/// The periods of a geo experiment: pre [preStart, testStart), test [testStart, testEnd] and an
/// optional cooldown (testEnd, cooldownEnd].
///
/// An analysis credits the test period, plus the cooldown when one is given, to the campaign;
/// it learns the control–treatment relation on the pre-period only.
public struct GeoPeriods: Sendable, Hashable, Codable {
    public var preStart: GeoDay
    public var testStart: GeoDay
    public var testEnd: GeoDay
    public var cooldownEnd: GeoDay?

    public init(preStart: GeoDay, testStart: GeoDay, testEnd: GeoDay, cooldownEnd: GeoDay? = nil) {
        self.preStart = preStart
        self.testStart = testStart
        self.testEnd = testEnd
        self.cooldownEnd = cooldownEnd
    }

    enum CodingKeys: String, CodingKey {
        case preStart = "pre_start"
        case testStart = "test_start"
        case testEnd = "test_end"
        case cooldownEnd = "cooldown_end"
    }

    /// Day offsets in `panel`: the pre-period and the analysed days (test, then cooldown).
    /// - Throws: ``GeoError`` `invalid_input` when the periods are out of order or outside the panel.
    func offsets(in panel: GeoPanel) throws(GeoError) -> (pre: Range<Int>, analysed: Range<Int>, test: Range<Int>) {
        guard preStart < testStart, testStart <= testEnd else {
            throw GeoError(.invalidInput, "periods must satisfy pre_start < test_start ≤ test_end (got \(preStart), \(testStart), \(testEnd))")
        }
        if let cooldownEnd, cooldownEnd <= testEnd {
            throw GeoError(.invalidInput, "cooldown_end \(cooldownEnd) must be after test_end \(testEnd)")
        }
        let pre = try panel.offsets(preStart...testStart.advanced(by: -1), name: "pre")
        let test = try panel.offsets(testStart...testEnd, name: "test")
        let analysed = try panel.offsets(testStart...(cooldownEnd ?? testEnd), name: "test and cooldown")
        return (pre, analysed, test)
    }
}
