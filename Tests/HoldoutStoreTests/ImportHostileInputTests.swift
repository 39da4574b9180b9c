import Foundation
import HoldoutCSV
import HoldoutModel
import HoldoutStore
import HoldoutTestSupport
import Testing

/// Files and items that are wrong on purpose: each bad row is refused by line and column, and
/// the good rows around it still land (issue 10).
@Suite("Import: hostile input")
struct ImportHostileInputTests {
    /// Writes `bytes` to a temporary file named `name` and imports it; the rejects file, if any,
    /// is read into ``ImportSummary/rejectsFile`` (its text, not its path) before the file goes.
    static func importBytes(
        _ bytes: [UInt8], name: String, kind: ImportKind, experiment: Experiment?, store: Store
    ) async throws -> ImportSummary {
        let directory = try TestDatabase.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        var summary = try await Importer(kind: kind, experiment: experiment).run(path: file.path, store: store)
        summary.rejectsFile = try summary.rejectsFile.map { try String(contentsOfFile: $0, encoding: .utf8) }
        return summary
    }

    static func importText(_ text: String, name: String = "rows.csv", kind: ImportKind, experiment: Experiment?, store: Store) async throws -> ImportSummary {
        try await importBytes(Array(text.utf8), name: name, kind: kind, experiment: experiment, store: store)
    }

    @Test("a UTF-8 byte order mark before the header (CSV) or the first line (JSON lines) is skipped", arguments: Engine.underTest)
    func byteOrderMark(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "bom")
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            let csv = try await Self.importBytes(
                bom + Array("profile_id,exposure_ts\nu1,2026-03-05T10:30:00Z\n".utf8), name: "bom.csv", kind: .exposures, experiment: f.experiment,
                store: store)
            #expect(csv.inserted == 1 && csv.rejected == 0)
            let jsonl = try await Self.importBytes(
                bom + Array(#"{"profile_id": "u2", "exposure_ts": "2026-03-05T10:31:00Z"}"#.utf8) + [0x0A], name: "bom.jsonl", kind: .exposures,
                experiment: f.experiment, store: store)
            #expect(jsonl.inserted == 1 && jsonl.rejected == 0)
        }
    }

    @Test("an unclosed quote rejects its record by line; the lines before and after it load", arguments: Engine.underTest)
    func unclosedQuote(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "quote")
            // Line 3's quote is never closed: it would swallow the rest of the file.
            let toEnd = try await Self.importText(
                """
                profile_id,exposure_ts,event_id
                u2,2026-03-05T10:30:00Z,e2
                u3,"2026-03-05T10:31:00Z,e3
                u4,2026-03-05T10:32:00Z,e4
                u5,2026-03-05T10:33:00Z,e5

                """, kind: .exposures, experiment: f.experiment, store: store)
            #expect(toEnd.read == 4 && toEnd.inserted == 3 && toEnd.rejected == 1)
            #expect(toEnd.firstRejects.map(\.line) == [3])
            #expect(toEnd.firstRejects.first?.reason.contains("never closed") == true)
            let rejects = try #require(toEnd.rejectsFile)
            #expect(rejects.split(separator: "\n").dropFirst().first?.hasPrefix("3,,") == true, "\(rejects)")
            // Closed by a later line's quote: the text after that quote gives it away.
            let closedLater = try await Self.importText(
                """
                profile_id,exposure_ts,event_id
                u2,2026-03-05T10:30:00Z,f2
                u3,"2026-03-05T10:31:00Z,f3
                u4,2026-03-05T10:32:00Z,f4
                u5,"2026-03-05T10:33:00Z",f5

                """, kind: .exposures, experiment: f.experiment, store: store)
            #expect(closedLater.inserted == 3 && closedLater.rejected == 1)
            #expect(closedLater.firstRejects.map(\.line) == [3])
        }
    }

    @Test("a record over 1 MiB is rejected by line without stopping the file (CSV and JSON lines)", arguments: Engine.underTest)
    func oversizedRecord(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "huge")
            let huge = String(repeating: "x", count: 3 << 20)
            let csv = try await Self.importText(
                "profile_id,exposure_ts,event_id\nu1,2026-03-05T10:30:00Z,e1\n\(huge),2026-03-05T10:30:00Z,e2\nu3,2026-03-05T10:30:00Z,e3\n",
                kind: .exposures, experiment: f.experiment, store: store)
            #expect(csv.read == 3 && csv.inserted == 2 && csv.rejected == 1)
            #expect(csv.firstRejects.map(\.line) == [3])
            #expect(csv.firstRejects.first?.reason.contains("\(1 << 20) bytes") == true, "\(csv.firstRejects)")
            // The rejects file gets the start of the line, not 3 MiB.
            #expect(try #require(csv.rejectsFile).utf8.count < 4096)

            let filler = String(repeating: String(repeating: "y", count: 99) + "\n", count: 12_000)  // 1.2 MB, no quote
            let quotedToEnd = "profile_id,exposure_ts,event_id\nu4,2026-03-05T10:30:00Z,e4\nu5,\"" + filler + "u6,2026-03-05T10:30:00Z,e6\n"
            let quoted = try await Self.importText(quotedToEnd, kind: .exposures, experiment: f.experiment, store: store)
            // Line 3 opens a quote that runs past 1 MiB: rejected, and every line it swallowed is read again.
            #expect(quoted.firstRejects.first?.line == 3)
            #expect(quoted.inserted == 2, "u4 and u6 load (the 'yyy…' lines are rejected for their own reasons)")
            #expect(quoted.rejected == 12_000)

            let jsonl = try await Self.importText(
                #"{"profile_id": "u7", "exposure_ts": "2026-03-05T10:30:00Z"}"# + "\n" + #"{"profile_id": "\#(huge)", "exposure_ts": "2026-03-05T10:30:00Z"}"#
                    + "\n" + #"{"profile_id": "u9", "exposure_ts": "2026-03-05T10:30:00Z"}"# + "\n",
                name: "rows.jsonl", kind: .exposures, experiment: f.experiment, store: store)
            #expect(jsonl.read == 3 && jsonl.inserted == 2 && jsonl.rejected == 1)
            #expect(jsonl.firstRejects.map(\.line) == [2])
        }
    }

    @Test("the scanner skips over-long and unclosed records across chunk boundaries, keeping line numbers")
    func scannerResynchronises() throws {
        let directory = try TestDatabase.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("scan.csv")
        let long = String(repeating: "z", count: 100)
        try Data("a,b\n1,2\n\(long),3\n4,\"5\n6,7\n8,\"9\"x\n10,11\n\"12".utf8).write(to: file)
        for chunkSize in [1, 3, 7, 16, 4096] {
            let reader = try CSVScanner.Reader(path: file.path, chunkSize: chunkSize, maximumRecordBytes: 32)
            var records: [(Int, [String])] = []
            var malformed: [(Int, String)] = []
            while try reader.readChunk(
                { record in records.append((record.line, (0..<record.count).map { record.string($0) })) },
                malformed: { malformed.append(($0.line, $0.reason)) })
            {}
            #expect(records.map(\.0) == [1, 2, 5, 7], "chunk \(chunkSize)")
            #expect(records.map(\.1) == [["a", "b"], ["1", "2"], ["6", "7"], ["10", "11"]], "chunk \(chunkSize)")
            #expect(malformed.map(\.0) == [3, 4, 6, 8], "chunk \(chunkSize): \(malformed)")
        }
    }

    @Test("invalid UTF-8 is rejected naming line and column, not stored as U+FFFD", arguments: Engine.underTest)
    func invalidUTF8(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "utf8")
            let csv =
                Array("profile_id,exposure_ts,campaign_id\nu1,2026-03-05T10:30:00Z,c\n".utf8)
                + Array("u2,2026-03-05T10:30:00Z,c".utf8) + [0xFF, 0xFE] + [0x0A]
                + Array("u\u{e9}3,2026-03-05T10:30:00Z,c\n".utf8)
            let summary = try await Self.importBytes(csv, name: "rows.csv", kind: .exposures, experiment: f.experiment, store: store)
            #expect(summary.inserted == 2 && summary.rejected == 1)
            #expect(summary.firstRejects.first?.line == 3)
            #expect(summary.firstRejects.first?.column == "campaign_id")
            #expect(summary.firstRejects.first?.reason.contains("UTF-8") == true)

            let jsonl =
                Array(#"{"profile_id": "u4", "exposure_ts": "2026-03-05T10:30:00Z"}"#.utf8) + [0x0A]
                + Array(#"{"profile_id": "u5"#.utf8) + [0xC3] + Array(#"", "exposure_ts": "2026-03-05T10:30:00Z"}"#.utf8) + [0x0A]
            let lines = try await Self.importBytes(jsonl, name: "rows.jsonl", kind: .exposures, experiment: f.experiment, store: store)
            #expect(lines.inserted == 1 && lines.rejected == 1)
            #expect(lines.firstRejects.first?.line == 2)
            #expect(lines.firstRejects.first?.reason.contains("UTF-8") == true)
        }
    }

    @Test("identifiers are at most 256 bytes, named by column; property values have their own limit", arguments: Engine.underTest)
    func identifierLimits(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "ids")
            let limit = String(repeating: "p", count: 256)
            let over = String(repeating: "p", count: 257)
            let exposures = try await Self.importText(
                """
                profile_id,exposure_ts,campaign_id,message_id,event_id
                \(limit),2026-03-05T10:30:00Z,c,m,e1
                \(over),2026-03-05T10:30:00Z,c,m,e2
                u3,2026-03-05T10:30:00Z,\(over),m,e3
                u4,2026-03-05T10:30:00Z,c,\(over),e4
                u5,2026-03-05T10:30:00Z,c,m,\(over)

                """, kind: .exposures, experiment: f.experiment, store: store)
            #expect(exposures.inserted == 1 && exposures.rejected == 4)
            #expect(exposures.firstRejects.map { $0.column ?? "" } == ["profile_id", "campaign_id", "message_id", "event_id"])
            #expect(exposures.firstRejects.allSatisfy { $0.reason.contains("257 bytes") })

            let events = try await Self.importText(
                "event_id,event_name,profile_id,ts\ne1,\(over),u1,2026-03-05T10:30:00Z\n", kind: .events, experiment: nil, store: store)
            #expect(events.rejected == 1 && events.firstRejects.first?.column == "event_name")
            let touchpoints = try await Self.importText(
                "profile_id,channel,ts\nu1,\(over),2026-03-05T10:30:00Z\n", kind: .touchpoints, experiment: nil, store: store)
            #expect(touchpoints.rejected == 1 && touchpoints.firstRejects.first?.column == "channel")

            await #expect(throws: ImportError.self) {
                try await Self.importText("profile_id,\(over)\nu1,1\n", kind: .covariates, experiment: f.experiment, store: store)
            }
            let names = try await Self.importText(
                "{\"profile_id\": \"u1\", \"\(over)\": \"x\"}\n", name: "rows.jsonl", kind: .properties, experiment: nil, store: store)
            #expect(names.rejected == 1 && names.firstRejects.first?.reason.contains("257 bytes") == true)
            // A JSON integer id beyond 2⁵³ has been rounded by the time it is read: refused, not stored.
            // Below it, the integer is stored as its digits (not 9.007199254740991e+15).
            let numeric = try await Self.importText(
                #"{"profile_id": 9007199254740993, "group": "control"}"# + "\n" + #"{"profile_id": 9007199254740991, "group": "control"}"# + "\n",
                name: "rows.jsonl", kind: .assignments, experiment: f.experiment, store: store)
            #expect(numeric.inserted == 1 && numeric.rejected == 1 && numeric.firstRejects.first?.column == "profile_id")
            let stored = try await store.assignments(experimentID: f.experiment.id, profileIDs: ["9007199254740991"])
            #expect(stored == ["9007199254740991": "control"])
            let bigValue = String(repeating: "v", count: 64 << 10 + 1)
            let properties = try await Self.importText(
                "profile_id,plan\nu1,\(String(repeating: "v", count: 64 << 10))\nu2,\(bigValue)\n", kind: .properties, experiment: nil, store: store)
            #expect(properties.inserted == 1 && properties.rejected == 1 && properties.firstRejects.first?.column == "plan")
        }
    }

    @Test("numbers are plain decimals: hex, nan, inf and out-of-range values are rejected", arguments: Engine.underTest)
    func plainDecimals(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "numbers")
            let bad = ["0x10", "nan", "NaN", "inf", "-infinity", "1e400", "1_000", "0x1p3", "1.5.2", "e5", "."]
            let good = ["16", "-2.5", "1.5e2", "+3", ".5", "7."]
            var csv = "profile_id,conversion_ts,value\n"
            for (index, text) in (bad + good).enumerated() { csv += "u\(index),2026-03-05T10:30:00Z,\(text)\n" }
            let summary = try await Self.importText(csv, kind: .outcomes, experiment: f.experiment, store: store)
            #expect(summary.rejected == bad.count && summary.inserted == good.count, "\(summary.firstRejects.map(\.message))")
            #expect(summary.firstRejects.allSatisfy { $0.column == "value" })
            let covariates = try await Self.importText("profile_id,spend\nu1,0x10\nu2,16\n", kind: .covariates, experiment: f.experiment, store: store)
            #expect(covariates.rejected == 1 && covariates.firstRejects.first?.column == "spend")
        }
    }

    @Test("an NFD group is not the NFC variant it looks like: variants compare as UTF-8 bytes", arguments: Engine.underTest)
    func variantsByBytes(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let nfc = "caf\u{e9}"
            let nfd = "cafe\u{301}"
            #expect(nfc == nfd && Array(nfc.utf8) != Array(nfd.utf8))  // what String equality hides
            let f = try await Fixture.make(
                store, key: "bytes", variants: [Variant(name: "ctl", weight: 0.5), Variant(name: nfc, weight: 0.5)])
            let assignments = try await Self.importText(
                "profile_id,group,assigned_at\nu1,\(nfd),2026-03-01\nu2,\(nfc),2026-03-01\n", kind: .assignments, experiment: f.experiment, store: store)
            #expect(assignments.inserted == 1 && assignments.rejected == 1)
            #expect(assignments.firstRejects.first?.line == 2)
            #expect(assignments.firstRejects.first?.column == "group")
            #expect(assignments.firstRejects.first?.reason.contains("not a variant") == true)
            let stored = try await store.assignments(experimentID: f.experiment.id, profileIDs: ["u1", "u2"])
            #expect(stored.keys.sorted() == ["u2"] && stored["u2"].map { Array($0.utf8) } == Array(nfc.utf8))

            let exposures = try await Self.importText(
                "profile_id,exposure_ts,variant\nu2,2026-03-05T10:30:00Z,\(nfd)\nu2,2026-03-05T10:31:00Z,\(nfc)\n", kind: .exposures,
                experiment: f.experiment, store: store)
            #expect(exposures.inserted == 1 && exposures.rejected == 1)
            #expect(exposures.firstRejects.first?.line == 2 && exposures.firstRejects.first?.column == "variant")
        }
    }

    @Test("API items: empty and over-long profile ids, empty channels, times out of range are refused by field", arguments: Engine.underTest)
    func apiItems(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            let f = try await Fixture.make(store, key: "api")
            let time = "2026-03-05T10:30:00Z"
            let huge = String(repeating: "p", count: 1 << 20)
            let cases: [(ImportKind, [String: String], String)] = [
                (.exposures, ["profile_id": "", "exposure_ts": time], "exposures[0].profile_id"),
                (.exposures, ["profile_id": huge, "exposure_ts": time], "exposures[0].profile_id"),
                (.outcomes, ["profile_id": "", "conversion_ts": time], "outcomes[0].profile_id"),
                (.outcomes, ["profile_id": huge, "conversion_ts": time], "outcomes[0].profile_id"),
                (.touchpoints, ["profile_id": "", "channel": "email", "ts": time], "touchpoints[0].profile_id"),
                (.touchpoints, ["profile_id": huge, "channel": "email", "ts": time], "touchpoints[0].profile_id"),
                (.touchpoints, ["profile_id": "u1", "channel": "", "ts": time], "touchpoints[0].channel"),
                (.exposures, ["profile_id": "u1", "exposure_ts": "2026-03-05T10:30:00+99:99"], "exposures[0].exposure_ts"),
                (.exposures, ["profile_id": "u1", "exposure_ts": "1969-12-31T23:59:59Z"], "exposures[0].exposure_ts"),
                (.exposures, ["profile_id": "u1", "exposure_ts": "2200-01-01T00:00:00Z"], "exposures[0].exposure_ts"),
                (.outcomes, ["profile_id": "u1", "conversion_ts": "-86400"], "outcomes[0].conversion_ts"),
                (.outcomes, ["profile_id": "u1", "conversion_ts": time, "value": "0x10"], "outcomes[0].value"),
            ]
            for (kind, item, field) in cases {
                let name = kind == .exposures ? "exposures" : kind == .outcomes ? "outcomes" : "touchpoints"
                do {
                    _ = try await store.record(
                        kind: kind, experiment: kind == .touchpoints ? nil : f.experiment, items: [ImportRecord(item.mapValues { .text($0) })], field: name)
                    Issue.record("\(field) = \(item[field.split(separator: ".").last.map(String.init) ?? ""]?.prefix(40) ?? "") was accepted")
                } catch let error as StoreError {
                    #expect(error.field == field, "\(error.message)")
                    #expect(error.message.utf8.count < 400, "the message echoes the whole value")
                }
            }
            // The edges of the accepted range.
            let edges = ["1970-01-01T00:00:00Z", "2199-12-31T23:59:59Z", "2026-03-05T10:30:00+18:00", "2026-03-05T10:30:00-18:00"]
            let inserted = try await store.record(
                kind: .exposures, experiment: f.experiment,
                items: edges.enumerated().map { .exposure(profileID: "u\($0.offset)", at: .text($0.element)) }, field: "exposures")
            #expect(inserted == edges.count)
            // Typed values are checked as their text would be: epoch seconds in range, finite
            // values within the magnitude limit, a time where a time belongs.
            let typed: [(ImportRecord, String)] = [
                (.outcome(profileID: "u1", at: .number(-86_400)), "outcomes[0].conversion_ts"),
                (.outcome(profileID: "u1", at: .number(1e12)), "outcomes[0].conversion_ts"),
                (.outcome(profileID: "u1", at: .time(Timestamp(microseconds: -1))), "outcomes[0].conversion_ts"),
                (.outcome(profileID: "u1", at: .number(1_772_706_600), value: .infinity), "outcomes[0].value"),
                (.outcome(profileID: "u1", at: .number(1_772_706_600), value: 1e16), "outcomes[0].value"),
                (
                    ImportRecord(["profile_id": .text("u1"), "conversion_ts": .number(1_772_706_600), "value": .time(ts("2026-03-05T10:30:00Z"))]),
                    "outcomes[0].value"
                ),
            ]
            for (record, field) in typed {
                do {
                    _ = try await store.record(kind: .outcomes, experiment: f.experiment, items: [record], field: "outcomes")
                    Issue.record("\(field) was accepted")
                } catch let error as StoreError {
                    #expect(error.field == field, "\(error.message)")
                }
            }
            #expect(
                try await store.record(
                    kind: .outcomes, experiment: f.experiment, items: [.outcome(profileID: "u1", at: .number(1_772_706_600.5), value: 2)], field: "outcomes")
                    == 1)
        }
    }
}
