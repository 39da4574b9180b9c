import Foundation
import HoldoutModel
import HoldoutStore
import Testing

/// Kills an import with SIGKILL mid-file, repeatedly, and checks that nothing committed is lost,
/// no batch is partial, the SQLite file is sound, and a re-run completes the file exactly.
@Suite("Import survives SIGKILL", .serialized)
struct ImportCrashTests {
    @Test("kill mid-import three times, then finish")
    func killAndResume() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kill.sqlite").path
        #expect(try await CLI.run(["experiment", "create", "--key", "k", "--name", "kill", "--database", database]).status == 0)
        let rows = 300_000
        let batch = 5_000
        var csv = "profile_id,exposure_ts,variant,campaign_id,message_id,event_id\n"
        csv.reserveCapacity(rows * 60)
        for i in 0..<rows { csv += "user_\(i % 50_000),2026-03-0\(1 + i % 9)T10:00:00Z,treatment,c,m\(i),e\(i)\n" }
        let file = directory.appendingPathComponent("exposures.csv")
        try csv.write(to: file, atomically: true, encoding: .utf8)

        var lastReported = 0
        for attempt in 0..<3 {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = [
                "import", "exposures", "--experiment", "k", "--file", file.path, "--database", database, "--batch-size", "\(batch)", "--verbose",
            ]
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = Pipe()
            try process.run()
            // Wait until a couple of batches of this run committed, then kill without warning.
            var reported = 0
            var buffer = Data()
            var committedThisRun = 0
            while committedThisRun < 2 + attempt {
                let chunk = stderr.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                let text = String(decoding: buffer, as: UTF8.self)
                let lines = text.split(separator: "\n").filter { $0.contains("committed") }
                committedThisRun = lines.count
                if let last = lines.last, let inserted = last.split(separator: " ").dropLast().last.flatMap({ Int($0) }) {
                    reported = inserted
                }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "attempt \(attempt): the import finished before it was killed")
            let store = try await Store.open(.sqlite(path: database))
            let count = try await store.rowCount("experiment_exposures")
            #expect(try await store.integrityCheck() == "ok")
            try await store.close()
            // Every batch reported committed is there (this run's inserts add to earlier runs').
            #expect(count >= lastReported + reported, "attempt \(attempt): \(count) rows, reported \(lastReported) + \(reported)")
            // Batches are all-or-nothing: whole batches only.
            #expect(count % batch == 0, "attempt \(attempt): \(count) rows is not a whole number of batches")
            #expect(count < rows)
            lastReported = count
        }
        let finish = try await CLI.run([
            "import", "exposures", "--experiment", "k", "--file", file.path, "--database", database, "--batch-size", "\(batch)", "--json",
        ]).json()
        let store = try await Store.open(.sqlite(path: database))
        let count = try await store.rowCount("experiment_exposures")
        try await store.close()
        #expect(count == rows)
        #expect(finish["inserted"] as? Int == rows - lastReported)
        #expect(finish["duplicates"] as? Int == lastReported)
    }
}
