import Foundation
import Testing

@testable import HoldoutGeo

@Suite("Geo panels validate their rows and name what is wrong")
struct GeoPanelTests {
    static let d1 = try! GeoDay("2026-03-01")

    static func row(_ day: Int, _ geo: String, _ response: Double, cost: Double? = nil) -> GeoPanel.Row {
        GeoPanel.Row(date: d1.advanced(by: day), geo: geo, response: response, cost: cost)
    }

    @Test("days parse, print and count across month and leap-year ends")
    func days() throws {
        #expect(try GeoDay("1970-01-01").dayNumber == 0)
        #expect(try GeoDay("2024-02-29").advanced(by: 1).description == "2024-03-01")
        #expect(try GeoDay("2025-12-31").advanced(by: 1).description == "2026-01-01")
        #expect(try GeoDay("2000-03-01").dayNumber - GeoDay("2000-02-28").dayNumber == 2)
        #expect(try GeoDay("1969-12-31").dayNumber == -1)
        for text in ["2026-02-29", "2026-13-01", "26-01-01", "2026-1-01", "yesterday", "+202-01-01", "2026-+1-01", "2026-01-01T00:00"] {
            #expect(throws: GeoError.self) { try GeoDay(text) }
        }
    }

    @Test("a missing day names the geo and the date")
    func missingDay() {
        let rows = [Self.row(0, "a", 1), Self.row(1, "a", 1), Self.row(2, "a", 1), Self.row(0, "b", 1), Self.row(2, "b", 1)]
        do {
            _ = try GeoPanel(rows: rows)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .missingDay)
            #expect(error.geo == "b")
            #expect(error.date?.description == "2026-03-02")
            #expect(error.message.contains("b") && error.message.contains("2026-03-02"))
        }
    }

    @Test("negative revenue and cost name the row, geo and date")
    func negative() {
        do {
            _ = try GeoPanel(rows: [Self.row(0, "a", 1), Self.row(0, "b", -5)])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .negativeValue && error.row == 1 && error.geo == "b" && error.date == Self.d1)
            #expect(error.message.contains("row 1"))
        }
        do {
            _ = try GeoPanel(rows: [Self.row(0, "a", 1, cost: 0), Self.row(0, "b", 5, cost: -1)])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .negativeValue && error.row == 1)
        }
    }

    @Test("duplicates, non-finite values and cost on only some rows are refused")
    func otherRows() {
        #expect(throws: GeoError.self) { try GeoPanel(rows: [Self.row(0, "a", 1), Self.row(0, "a", 2)]) }
        #expect(throws: GeoError.self) { try GeoPanel(rows: [Self.row(0, "a", .nan)]) }
        #expect(throws: GeoError.self) { try GeoPanel(rows: [Self.row(0, "a", 1, cost: 1), Self.row(0, "b", 1)]) }
        #expect(throws: GeoError.self) { try GeoPanel(rows: []) }
    }

    @Test("geo ids compare as bytes: composed and decomposed é are two geos")
    func bytes() throws {
        let panel = try GeoPanel(rows: [Self.row(0, "caf\u{E9}", 1), Self.row(0, "cafe\u{301}", 2)])
        #expect(panel.geos.count == 2)
        #expect(panel.position(of: "cafe\u{301}") != panel.position(of: "caf\u{E9}"))
    }

    @Test("an assignment naming an unknown geo is refused with the geo")
    func unknownGeo() throws {
        let panel = try SyntheticPanel.make(geos: 4, days: 10)
        let assignment = GeoAssignment(control: ["geo0000", "nowhere"], treatment: ["geo0001"])
        let periods = GeoPeriods(preStart: panel.firstDay, testStart: panel.firstDay.advanced(by: 5), testEnd: panel.lastDay)
        do {
            _ = try GeoAnalysis.tbr(panel: panel, assignment: assignment, periods: periods)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unknownGeo && error.geo == "nowhere" && error.row == 1)
        }
    }

    @Test("periods outside the panel or out of order are refused")
    func periods() throws {
        let panel = try SyntheticPanel.make(geos: 4, days: 10)
        let assignment = GeoAssignment(control: ["geo0000", "geo0001"], treatment: ["geo0002", "geo0003"])
        let start = panel.firstDay
        let cases = [
            GeoPeriods(preStart: start.advanced(by: -1), testStart: start.advanced(by: 5), testEnd: panel.lastDay),
            GeoPeriods(preStart: start, testStart: start.advanced(by: 5), testEnd: panel.lastDay.advanced(by: 1)),
            GeoPeriods(preStart: start.advanced(by: 5), testStart: start.advanced(by: 5), testEnd: panel.lastDay),
            GeoPeriods(preStart: start, testStart: start.advanced(by: 5), testEnd: start.advanced(by: 6), cooldownEnd: start.advanced(by: 6)),
        ]
        for periods in cases {
            #expect(throws: GeoError.self) { try GeoAnalysis.tbr(panel: panel, assignment: assignment, periods: periods) }
        }
        let ok = GeoPeriods(preStart: start, testStart: start.advanced(by: 5), testEnd: panel.lastDay)
        #expect(throws: GeoError.self) { try GeoAnalysis.tbr(panel: panel, assignment: assignment, periods: ok, level: 1) }
        #expect(throws: GeoError.self) { try GeoAnalysis.tbr(panel: panel, assignment: assignment, periods: ok, tails: 3) }
    }
}
