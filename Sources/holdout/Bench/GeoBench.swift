import ArgumentParser
import Foundation
import HoldoutCore
import HoldoutGeo
import HoldoutModel
import HoldoutSimulation
import HoldoutStore

struct GeoBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geo",
        abstract: "The orders import and the geo holdout step after it: ORDERS orders over GEOS geos.",
        discussion: """
            Generates (once, deterministically) an orders CSV (order_id, created_at over 90 days, ship_geohash, \
            net_revenue), imports it into a fresh tenant with `holdout import orders`' importer, and runs the geo \
            holdout step (seed 000) on the stored orders; reports each part's time.

            Examples:
              .build/release/holdout bench geo --orders 1000000 --geos 5000 --database /tmp/geo.sqlite
              .build/release/holdout bench geo --orders 20000000 --geos 50000 --database /tmp/geo.sqlite --json
            """)

    @Option(help: "Orders to import.") var orders = 20_000_000
    @Option(help: "Distinct geos.") var geos = 50_000
    @Option(help: "Where the generated CSV is kept.") var directory = ".build/bench-geo"
    @Option(help: "Where the step writes designs and telemetry.") var stateDir = ".build/bench-geo/state"
    @Option(help: "Rows per import transaction.") var batchSize = 50_000
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Print one JSON object.") var json = false

    struct Result: Encodable {
        var database: String
        var orders: Int
        var geos: Int
        var import_seconds: Double
        var import_rows_per_second: Double
        var step_seconds: Double
        var step_revenue_by_geo_seconds: Double
        var total_seconds: Double
        var step_status: String
        var holdout_count: Int?
        var peak_memory_mib: Double?
    }

    func run() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = try generate()
        let tenant = "bench-\(UUID().uuidString.prefix(8).lowercased())"
        let state = GeoStateDirectory(root: stateDir)
        let result = try await db.with(schema: .migrate) { store in
            let clock = ContinuousClock()
            var importer = Importer(kind: .orders, experiment: nil, batchSize: batchSize)
            importer.tenant = tenant
            let start = clock.now
            let summary = try await importer.run(path: file, store: store)
            let imported = clock.now
            let revenue = try await store.revenueByGeo(tenant: tenant)
            let aggregated = clock.now
            let step = await IncrementalityStep(state: state).run(tenant: tenant, orders: store, designs: store, at: Date())
            let done = clock.now
            return Result(
                database: store.dialect.name, orders: summary.inserted, geos: revenue.count, import_seconds: seconds(imported - start),
                import_rows_per_second: Double(summary.inserted) / seconds(imported - start), step_seconds: seconds(done - aggregated),
                step_revenue_by_geo_seconds: seconds(aggregated - imported), total_seconds: seconds(done - start) - seconds(aggregated - imported),
                step_status: step.status.rawValue, holdout_count: step.design?.holdoutCount, peak_memory_mib: peakMemoryMiB())
        }
        if json {
            try Output.json(result)
        } else {
            print(
                Output.table(
                    header: ["part", "seconds", ""],
                    rows: [
                        ["import \(result.orders) orders", Output.number(result.import_seconds, digits: 4), "\(Int(result.import_rows_per_second)) rows/s"],
                        ["revenue per geo (the step's query, alone)", Output.number(result.step_revenue_by_geo_seconds, digits: 4), ""],
                        ["step (query, design, file, database, telemetry)", Output.number(result.step_seconds, digits: 4), result.step_status],
                        ["import + step", Output.number(result.total_seconds, digits: 4), ""],
                    ]))
            print("peak memory \(Output.number(result.peak_memory_mib, digits: 4)) MiB on \(result.database)")
        }
    }

    /// Writes the orders CSV unless it exists for this size.
    func generate() throws -> String {
        let path = "\(directory)/orders-\(orders)-\(geos).csv"
        if FileManager.default.fileExists(atPath: path) { return path }
        Output.error("generating \(orders) orders over \(geos) geos in \(path)…\n")
        guard FileManager.default.createFile(atPath: path + ".tmp", contents: nil), let handle = FileHandle(forWritingAtPath: path + ".tmp") else {
            throw CLIError("cannot write \(path)")
        }
        var generator = Xoshiro256StarStar(seed: 42)
        let base: UInt64 = 1_764_547_200  // 2025-12-01T00:00:00Z
        var text = "order_id,created_at,ship_geohash,net_revenue\n"
        text.reserveCapacity(8 << 20)
        for i in 0..<orders {
            // Geo sizes are skewed (a geo's share grows with the square of a uniform draw).
            let u = Double(generator.next() >> 11) * 0x1p-53
            let geo = Int(u * u * Double(geos))
            let ts = base + generator.next() % (90 * 86_400)
            let cents = 500 + generator.next() % 20_000
            text += "o\(i),\(ts),g\(geo),\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)\n"
            if text.utf8.count > 8 << 20 {
                handle.write(Data(text.utf8))
                text.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(text.utf8))
        try handle.close()
        try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
        return path
    }
}
