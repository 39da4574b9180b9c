import ArgumentParser
import Foundation
import HoldoutCore
import HoldoutGeo
import HoldoutModel
import HoldoutStore

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load assignments, exposures, outcomes, events, touchpoints, covariates, properties, orders or a Criteo uplift file.",
        discussion: """
            Columns (CSV header or JSON keys), seed 001's names:
              assignments  profile_id, group, assigned_at (optional; default now)
              exposures    profile_id, exposure_ts, [variant, campaign_id, message_id, event_id]
              outcomes     profile_id, conversion_ts, [value, event_id, metric (default: the experiment's default metric)]
              events       event_id, event_name, profile_id, ts, [value, properties (a JSON object)]
              touchpoints  profile_id, channel, ts, [campaign_id]
              covariates   profile_id, then one column per pre-experiment covariate (numbers)
              properties   profile_id, then one column per unit property (country, plan…), for --segment-by
              orders       order_id, created_at, the geo column (--geo-column, default ship_geohash), and revenue: \
            net_revenue, or subtotal [− discounts] when net_revenue is absent (seed 000); needs --tenant
              criteo       the Criteo Uplift v2 layout f0,…,f11,treatment,conversion,visit,exposure (CSV, plain or \
            gzip); creates the experiment when absent with --treatment-share (default 0.85) as its planned split
            Timestamps: ISO 8601 with or without a zone (UTC assumed; offsets within ±18:00), or epoch \
            seconds, from 1970-01-01 to before 2200-01-01. Numbers are plain decimals (1.5, -2e3). Identifiers \
            (profile ids, variants, event, campaign and message ids, channels, event names, covariate and \
            property names) are at most 256 bytes of UTF-8; property values at most 64 KiB; a CSV record or \
            JSON line at most 1 MiB.

            The file is streamed in transactional batches: a crash never leaves a partial batch, and running \
            the same file again adds nothing (rows are keyed by event_id, or by their natural key), which also \
            completes an interrupted import. Bad rows (invalid UTF-8, a quote never closed, a record over \
            1 MiB…) are reported with line, column and reason, written to FILE.rejects.csv, and do not stop \
            the others; after an unclosed quote, reading resumes at the next line. The command fails when \
            every row was rejected.

            Examples:
              holdout import exposures --experiment email-q1 --file exposures.csv
              holdout import outcomes --experiment email-q1 --file outcomes.jsonl --json
              holdout import touchpoints --file touchpoints.csv
              holdout import orders --tenant acme --file orders.csv --geo-column ship_geohash --state-dir state
              holdout import criteo --experiment criteo --file criteo-uplift-v2.1.csv.gz

            Criteo: rows carry no id, so data row i is unit row-00000000i (re-importing the file adds \
            nothing); treatment 0/1 → control/treatment, visit and conversion → outcomes of the metrics \
            visit and conversion (`holdout results --metric visit`), exposure → exposures, the other \
            columns → the units' features (stored packed, for the uplift learners and CUPED).

            Orders: keyed by (tenant, order_id), so a re-import adds nothing; an order id twice in one file \
            rejects the second (naming both), negative revenue rejects the row. After every orders import the \
            geo holdout step (seed 000) runs for the tenant and its result is printed under `incrementality`: \
            success (the design, written to STATE/analytics/experiments/geo_holdouts/ and stored in the \
            database), skip (no_orders, or fewer than max(2 × --min-holdout-units, 4) geos: insufficient_geo) \
            or error (the reason); each run appends a line to STATE/telemetry/experiments/geo_holdout_runs.jsonl. \
            An error in the step never fails the import.
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case assignments, exposures, outcomes, events, touchpoints, covariates, properties, orders, criteo
        var value: ImportKind { ImportKind(rawValue: rawValue) ?? .exposures }
        var needsExperiment: Bool { self == .criteo || value.needsExperiment }
    }
    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, jsonl }

    @Argument(help: "What the file holds.") var kind: Kind
    @OptionGroup var db: DatabaseOptions
    @Option(name: .customLong("experiment"), help: "The experiment's key (not needed for events, touchpoints and properties).") var experimentKey: String?
    @Option(help: "The file to import.") var file: String
    @Option(help: "csv or jsonl (default: from the file name).") var format: Format?
    @Option(help: "Rows per transaction (default 10000); orders: rows per statement batch of the import's one transaction (default 50000).")
    var batchSize: Int?
    /// 50,000 for orders: their import is one transaction whatever the batch, and bigger sorted
    /// batches walk the key B-tree in fewer passes (`holdout import orders`, 20M orders over
    /// 50,000 geos: 69.5 s import at 10,000, see BENCHMARKS.md at 50,000).
    var rowsPerBatch: Int { batchSize ?? (kind == .orders ? 50_000 : 10_000) }
    @Option(help: "Where to write rejected rows (default FILE.rejects.csv).") var rejects: String?
    @Option(help: "The tenant of orders (required for orders), or whose auto-assign may use these touchpoints (default 'default').")
    var tenant: String?
    @OptionGroup var geo: GeoStepOptions
    @Option(help: "criteo: the planned treatment share of an experiment the import creates (Criteo's design: 0.85).")
    var treatmentShare: Double?
    @Flag(help: "Print a line on stderr after each committed batch.") var verbose = false
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if kind.needsExperiment && experimentKey == nil {
            throw ValidationError("importing \(kind.rawValue) needs --experiment KEY")
        }
        if let batchSize, batchSize < 1 || batchSize > 1_000_000 { throw ValidationError("--batch-size must be in 1…1000000") }
        if kind == .orders {
            guard let tenant, !tenant.isEmpty else { throw ValidationError("importing orders needs --tenant T (the tenant the orders belong to)") }
            try geo.validate()
        }
        if treatmentShare != nil && kind != .criteo { throw ValidationError("--treatment-share applies to criteo imports") }
        if let share = treatmentShare, !(share > 0 && share < 1) { throw ValidationError("--treatment-share must be in (0, 1), e.g. 0.85") }
        if kind == .criteo && format == .jsonl { throw ValidationError("a Criteo file is CSV (plain or gzip); drop --format jsonl") }
    }

    func run() async throws {
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw CLIError("--file: cannot read '\(file)': check the path")
        }
        let interactive = isatty(STDERR_FILENO) == 1 && !json
        let verbose = self.verbose
        if kind == .criteo { return try await runCriteo(interactive: interactive) }
        let tenant = self.tenant ?? "default"
        let (summary, incrementality) = try await db.with { store in
            let experiment = try await experimentKey.asyncMap { key in try await store.requireExperiment(key: key) }
            var importer = Importer(
                kind: kind.value, experiment: experiment, batchSize: rowsPerBatch, format: format.map { ImportFormat(rawValue: $0.rawValue) ?? .csv },
                rejectsPath: rejects,
                onBatchCommitted: { progress in
                    if verbose {
                        Output.error("batch \(progress.batches) committed: \(progress.read) rows read, \(progress.inserted) inserted\n")
                    } else if interactive {
                        let rate = progress.seconds > 0 ? Double(progress.read) / progress.seconds : 0
                        Output.error("\r\(progress.read) rows read, \(progress.inserted) inserted, \(progress.rejected) rejected (\(Int(rate)) rows/s)…")
                    }
                })
            importer.tenant = tenant
            importer.geoColumn = geo.geoColumn
            let summary = try await importer.run(path: file, store: store)
            guard kind == .orders else { return (summary, IncrementalityResult?.none) }
            // Seed 000: the geo holdout step after every orders import; its errors are its result.
            let step = IncrementalityStep(options: geo.options(method: .weighted), state: geo.state)
            return (summary, await step.run(tenant: tenant, orders: store, designs: store, at: Date()))
        }
        if interactive { Output.error("\r\u{1B}[K") }
        let allRejected = summary.read > 0 && summary.rejected == summary.read
        if json {
            if let incrementality {
                try Output.json(OrdersImportOutput(summary: summary, incrementality: incrementality))
            } else {
                try Output.json(summary)
            }
        } else {
            if let values = summary.values {
                // Covariates and properties: rows hold several values, which the store counts.
                print(
                    "\(summary.kind.rawValue): read \(summary.read) rows (\(values) values), inserted \(summary.inserted) values, "
                        + "duplicates \(summary.duplicates) values, rejected \(summary.rejected) rows in \(Output.number(summary.seconds, digits: 3)) s")
            } else {
                print(
                    "\(summary.kind.rawValue): read \(summary.read), inserted \(summary.inserted), duplicates \(summary.duplicates), "
                        + "rejected \(summary.rejected) in \(Output.number(summary.seconds, digits: 3)) s")
            }
            if !summary.ignoredColumns.isEmpty { print("ignored columns: \(summary.ignoredColumns.joined(separator: ", "))") }
            for error in summary.firstRejects.prefix(10) { print("  rejected \(error.message)") }
            if let path = summary.rejectsFile, !allRejected {
                print("all \(summary.rejected) rejected rows are in \(path)")
            }
            if let incrementality { print(GeoOutput.describe(incrementality)) }
        }
        if allRejected {
            throw CLIError("all \(summary.read) rows were rejected; see \(summary.rejectsFile ?? "the rejects file")")
        }
    }
}

extension ImportCommand {
    /// `holdout import criteo`.
    func runCriteo(interactive: Bool) async throws {
        let verbose = self.verbose
        let key = experimentKey ?? ""
        let summary = try await db.with { store in
            try await CriteoImport.run(
                file: file, experimentKey: key, treatmentShare: treatmentShare ?? CriteoImport.defaultTreatmentShare, batchSize: rowsPerBatch, into: store,
                progress: { progress in
                    let rate = progress.seconds > 0 ? Double(progress.read) / progress.seconds : 0
                    if verbose {
                        Output.error("\(progress.read) rows read, \(progress.rejected) rejected\n")
                    } else if interactive {
                        Output.error("\r\(progress.read) rows read, \(progress.rejected) rejected (\(Int(rate)) rows/s)…")
                    }
                })
        }
        if interactive { Output.error("\r\u{1B}[K") }
        if json {
            try Output.json(summary)
        } else {
            print(
                "criteo\(summary.gzip ? " (gzip)" : ""): read \(summary.read), rejected \(summary.rejected) in \(Output.number(summary.seconds, digits: 3)) s into experiment '\(summary.experiment)'"
            )
            print(
                Output.table(
                    header: ["table", "inserted", "already present"],
                    rows: [
                        ("assignments", summary.assignments), ("exposures", summary.exposures), ("visit outcomes", summary.visits),
                        ("conversion outcomes", summary.conversions), ("feature vectors", summary.features),
                    ].map { [$0.0, "\($0.1.inserted)", "\($0.1.duplicates)"] }))
            print("features: \(summary.featureNames.joined(separator: ", "))")
            for error in summary.firstRejects.prefix(10) { print("  rejected \(error.message)") }
            print("results: holdout results --experiment \(summary.experiment) --mode itt --metric visit   (or --metric conversion)")
        }
        if summary.read > 0 && summary.rejected == summary.read { throw CLIError("all \(summary.read) rows were rejected") }
    }
}

/// `holdout import orders --json`: the import summary's keys and the step's result under
/// `incrementality`.
struct OrdersImportOutput: Encodable {
    var summary: ImportSummary
    var incrementality: IncrementalityResult

    enum CodingKeys: String, CodingKey { case incrementality }

    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(incrementality, forKey: .incrementality)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
