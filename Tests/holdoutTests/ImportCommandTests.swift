import Foundation
import Testing

/// `holdout import` through the real binary: what it reports and how it exits.
@Suite("holdout import: report and exit status", .serialized)
struct ImportCommandTests {
    /// A fresh SQLite database with experiment `k` (variants control and treatment).
    static func withDatabase(_ body: (URL, String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("import.sqlite").path
        #expect(try await CLI.run(["experiment", "create", "--key", "k", "--name", "import", "--database", database]).status == 0)
        try await body(directory, database)
    }

    @Test("an import whose every row is rejected fails and says where the rows went")
    func allRejected() async throws {
        try await Self.withDatabase { directory, database in
            let file = directory.appendingPathComponent("bad.csv")
            try "profile_id,exposure_ts\nu1,yesterday\nu2,0x10\n".write(to: file, atomically: true, encoding: .utf8)
            let text = try await CLI.run(["import", "exposures", "--experiment", "k", "--file", file.path, "--database", database])
            #expect(text.status != 0)
            #expect(text.stderr.contains("all 2 rows were rejected; see \(file.path).rejects.csv"), "\(text.stderr)")
            #expect(text.stdout.contains("rejected line 2, column 'exposure_ts'"), "\(text.stdout)")
            let json = try await CLI.run(["import", "exposures", "--experiment", "k", "--file", file.path, "--database", database, "--json"])
            #expect(json.status != 0)
            #expect(try json.json()["rejected"] as? Int == 2)

            // One good row is enough to succeed.
            try "profile_id,exposure_ts\nu1,yesterday\nu2,2026-03-05T10:30:00Z\n".write(to: file, atomically: true, encoding: .utf8)
            #expect(try await CLI.run(["import", "exposures", "--experiment", "k", "--file", file.path, "--database", database]).status == 0)
        }
    }

    @Test("covariates report rows read and values inserted, not cells as rows")
    func covariatesRowsAndValues() async throws {
        try await Self.withDatabase { directory, database in
            let file = directory.appendingPathComponent("covariates.csv")
            var csv = "profile_id,spend,visits\n"
            for i in 0..<400 { csv += "u\(i),\(i),\(i % 7)\n" }
            try csv.write(to: file, atomically: true, encoding: .utf8)
            let json = try await CLI.run(["import", "covariates", "--experiment", "k", "--file", file.path, "--database", database, "--json"]).json()
            #expect(json["read"] as? Int == 400)
            #expect(json["values"] as? Int == 800)
            #expect(json["inserted"] as? Int == 800 && json["duplicates"] as? Int == 0)
            let again = try await CLI.run(["import", "covariates", "--experiment", "k", "--file", file.path, "--database", database])
            #expect(again.status == 0)
            #expect(
                again.stdout.contains("covariates: read 400 rows (800 values), inserted 0 values, duplicates 800 values, rejected 0 rows"), "\(again.stdout)")
        }
    }
}
