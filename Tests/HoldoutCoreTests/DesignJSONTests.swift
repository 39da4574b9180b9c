import Foundation
import HoldoutCore
import HoldoutGeo
import Testing

/// The step's design file against the one main wrote (6224db0) for the same orders, seed and time,
/// before Core's design type was folded into HoldoutGeo's: every line of main's file is still
/// there, in order, byte for byte, and the only new key is `power` (the minimum detectable lift).
/// Main's file comes from Scripts/reference/design_json_main.swift.
@Suite("The step's design JSON: main's bytes plus power")
struct DesignJSONTests {
    static let mainWeighted = """
        {
          "assignment" : [
            {
              "geo" : "g000",
              "group" : "treatment",
              "weight" : 0.05289643066120538
            },
            {
              "geo" : "g001",
              "group" : "control",
              "weight" : 0.06307782328847279
            },
            {
              "geo" : "g002",
              "group" : "treatment",
              "weight" : 0.0732592159157402
            },
            {
              "geo" : "g003",
              "group" : "treatment",
              "weight" : 0.08472791105909888
            },
            {
              "geo" : "g004",
              "group" : "treatment",
              "weight" : 0.0949093036863663
            },
            {
              "geo" : "g005",
              "group" : "control",
              "weight" : 0.1050906963136337
            },
            {
              "geo" : "g006",
              "group" : "treatment",
              "weight" : 0.11527208894090112
            },
            {
              "geo" : "g007",
              "group" : "treatment",
              "weight" : 0.1267407840842598
            },
            {
              "geo" : "g008",
              "group" : "control",
              "weight" : 0.1369221767115272
            },
            {
              "geo" : "g009",
              "group" : "control",
              "weight" : 0.14710356933879462
            }
          ],
          "control_share" : 0.4521942656524283,
          "generated_at" : "2026-03-01T02:03:04.500Z",
          "geo_column" : "ship_geohash",
          "geo_count" : 10,
          "holdout_count" : 4,
          "method" : "weighted",
          "seed" : 42,
          "status" : "ready",
          "tenant_id" : "t"
        }
        """

    @Test("seed 000's fields are unchanged, byte for byte; power is added, null with a reason on 30 days of history")
    func weightedAsMain() async throws {
        try await IncrementalityStepTests.withState { state, _ in
            let result = await IncrementalityStep(state: state).run(
                tenant: "t", orders: InMemoryOrders.sample(tenant: "t", geos: 10), designs: nil, at: IncrementalityStepTests.now)
            let path = try #require(result.assignmentPath)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            // Without `power`, the document is main's.
            var object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let main = try #require(try JSONSerialization.jsonObject(with: Data(Self.mainWeighted.utf8)) as? [String: Any])
            let power = try #require(object.removeValue(forKey: "power") as? [String: Any])
            #expect(NSDictionary(dictionary: object).isEqual(to: main))
            // 30 days cannot hold one window of 28 + 28: the MDE is null and says why.
            #expect(power["minimum_detectable_lift"] is NSNull)
            #expect((power["reason"] as? String)?.contains("fewer than one window of 28 + 28") == true, "\(power)")
            #expect(power["method"] as? String == "tbr_placebo" && power["test_days"] as? Int == 28 && power["history_days"] as? Int == 30)
        }
    }

    @Test("every method's design carries its MDE when the history holds a window", arguments: IncrementalityStep.Method.allCases)
    func mdePresent(method: IncrementalityStep.Method) async throws {
        try await IncrementalityStepTests.withState { state, _ in
            let options = IncrementalityStep.Options(holdoutRatio: method == .weighted ? 0.2 : 0.5, method: method, powerTestDays: 14, powerPreDays: 21)
            let result = await IncrementalityStep(options: options, state: state).run(
                tenant: "t", orders: InMemoryOrders.sample(tenant: "t", geos: 12, days: 60), designs: nil, at: IncrementalityStepTests.now)
            let design = try #require(result.design, "\(result)")
            let power = try #require(design.power)
            #expect(power.testDays == 14 && power.preDays == 21 && power.historyDays == 60 && power.windows == 60 - 35 + 1)
            #expect(power.minimumDetectableLift != nil || power.reason != nil)
            // The same numbers as the placebo on the panel with the design's assignment.
            let panel = try await OrdersPanel.panel(tenant: "t", source: InMemoryOrders.sample(tenant: "t", geos: 12, days: 60))
            let direct = try GeoPower.placebo(
                panel: panel, assignment: design.geoAssignment, history: panel.firstDay...panel.lastDay, plan: options.powerPlan)
            #expect(power.minimumDetectableLift == direct.minimumDetectableLift && power.points == direct.points)
            #expect(power.falsePositiveRate == direct.falsePositiveRate)
        }
    }
}
