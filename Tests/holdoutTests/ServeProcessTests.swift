import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStats
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// `holdout serve` as a process on a loopback port, driven with real HTTP.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let log: URL

    init(database: String, extra: [String] = []) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--database", database, "--port", "0"] + extra
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // The log says where it listens: "... listening on 127.0.0.1:PORT".
        var found: Int?
        for _ in 0..<200 where found == nil {
            Thread.sleep(forTimeInterval: 0.05)
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on 127.0.0.1:") {
                found = Int(text[range.upperBound...].prefix { $0.isNumber })
            }
        }
        guard let found else {
            process.terminate()
            throw CLIFailure("holdout serve did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        port = found
    }

    func stop() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// One request; returns the status and the JSON body.
    func call(_ method: String, _ path: String, key: String?, body: Any? = nil) async throws -> (Int, Any?) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, data.isEmpty ? nil : try? JSONSerialization.jsonObject(with: data))
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite("holdout serve, end to end over HTTP", .serialized)
struct ServeProcessTests {
    @Test("seed 001's walkthrough against a running server; numbers equal HoldoutStats; SIGTERM stops it cleanly")
    func walkthrough() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("e2e.sqlite").path
        let key = try #require(
            try await CLI.run(["keys", "create", "--database", database, "--tenant", "acme", "--scope", "write", "--json"]).json()["key"] as? String)
        let server = try ServerProcess(database: database)
        var stopped = false
        defer { if !stopped { _ = server.stop() } }

        let (health, _) = try await server.call("GET", "/healthz", key: nil)
        #expect(health == 200)
        let now = Date()
        let iso = ISO8601DateFormatter()
        let (createdStatus, created) = try await server.call(
            "POST", "/api/experiments", key: key,
            body: ["name": "Email holdout", "channel": "email", "start_at": iso.string(from: now.addingTimeInterval(-86_400)), "conversion_key": "purchase"])
        #expect(createdStatus == 201)
        let id = try #require((created as? [String: Any])?["id"] as? Int)
        #expect(try await server.call("PATCH", "/api/experiments/\(id)", key: key, body: ["status": "running"]).0 == 200)

        let profiles = (0..<2000).map { "p\($0)" }
        let (assignStatus, assigned) = try await server.call(
            "POST", "/api/experiments/\(id)/assign", key: key, body: ["profile_ids": profiles, "treatment_rate": 0.5])
        #expect(assignStatus == 200)
        let variantOf = Dictionary(
            uniqueKeysWithValues: profiles.map {
                ($0, DeterministicAssignment.unitInterval(profileID: $0, experimentKey: String(id), salt: "") < 0.5 ? "treatment" : "control")
            })
        let treated = variantOf.values.filter { $0 == "treatment" }.count
        #expect((assigned as? [String: Any])?["treatment"] as? Int == treated)

        let later = iso.string(from: now.addingTimeInterval(600))
        let exposures = profiles.map { ["profile_id": $0, "exposure_ts": iso.string(from: now.addingTimeInterval(60)), "message_id": "m-\($0)"] }
        #expect(
            (try await server.call("POST", "/api/experiments/\(id)/exposures", key: key, body: ["exposures": exposures]).1 as? [String: Any])?["recorded"]
                as? Int == 2000)
        // Treatment converts at 1 in 6, control at 1 in 10.
        var converters: [String] = []
        for (i, p) in profiles.enumerated() where (variantOf[p] == "treatment" && i % 6 == 0) || (variantOf[p] == "control" && i % 10 == 0) {
            converters.append(p)
        }
        let outcomes = converters.map { ["profile_id": $0, "conversion_ts": later, "value": 25.0] as [String: Any] }
        #expect(
            (try await server.call("POST", "/api/experiments/\(id)/outcomes", key: key, body: ["outcomes": outcomes]).1 as? [String: Any])?["inserted"] as? Int
                == converters.count)

        let (resultsStatus, resultsBody) = try await server.call("GET", "/api/experiments/\(id)/results", key: key)
        #expect(resultsStatus == 200)
        let results = try #require(resultsBody as? [String: Any])
        let tc = converters.filter { variantOf[$0] == "treatment" }.count
        let cc = converters.count - tc
        let reference = try ProportionTest.compare(
            control: ProportionStatistic(n: 2000 - treated, conversions: cc), treatment: ProportionStatistic(n: treated, conversions: tc))
        #expect(abs((results["p_value"] as? Double ?? -1) - (reference.pValue ?? 0)) < 1e-12)
        #expect(abs((results["ci_low"] as? Double ?? -1) - (reference.ciLow ?? 0)) < 1e-12)
        #expect((results["treatment"] as? [String: Any])?["conversions"] as? Int == tc)

        let (_, series) = try await server.call("GET", "/api/experiments/\(id)/time-series?freq=D", key: key)
        let last = try #require(((series as? [String: Any])?["data"] as? [[String: Any]])?.last)
        #expect(last["treatment_conversions"] as? Int == tc && last["control_n"] as? Int == 2000 - treated)

        let (_, power) = try await server.call("POST", "/api/experiments/power-analysis", key: key, body: ["baseline_rate": 0.05, "mde": 0.01])
        #expect((power as? [String: Any])?["total_sample_size"] as? Int == 16316)

        // Auto-assign from touchpoints into a second experiment.
        let (_, second) = try await server.call("POST", "/api/experiments", key: key, body: ["name": "auto", "key": "auto"])
        #expect((second as? [String: Any])?["key"] as? String == "auto")
        let touchpoints = (0..<50).map { ["profile_id": "t\($0)", "channel": $0 % 2 == 0 ? "email" : "push", "ts": iso.string(from: now)] }
        #expect(try await server.call("POST", "/api/touchpoints", key: key, body: ["touchpoints": touchpoints]).0 == 200)
        let (_, auto) = try await server.call(
            "POST", "/api/experiments/auto/auto-assign", key: key,
            body: [
                "channel": "email", "start_date": iso.string(from: now.addingTimeInterval(-60)), "end_date": iso.string(from: now.addingTimeInterval(60)),
                "treatment_rate": 0.5,
            ])
        #expect((auto as? [String: Any])?["assigned"] as? Int == 25)

        // The nightly report, run by the CLI on the same database while the server runs.
        let report = try await CLI.run(["report", "nightly", "--database", database, "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        let alerts = try #require(try report.json()["alerts"] as? [[String: Any]])
        #expect(alerts.contains { $0["experiment_id"] as? Int == id && $0["severity"] as? String == "success" })
        let (latestStatus, latest) = try await server.call("GET", "/api/reports/nightly/latest", key: key)
        #expect(latestStatus == 200 && ((latest as? [String: Any])?["experiments"] as? [Any])?.count == 1)

        // SIGTERM: graceful shutdown, exit 0, the database intact.
        stopped = true
        #expect(server.stop() == 0)
        let check = try await CLI.run(["experiment", "show", String(id), "--database", database, "--json"])
        #expect(check.status == 0, "\(check.stderr)")
    }
}

/// A raw TCP client on loopback, for slow and partial requests.
struct RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw CLIFailure("cannot connect to 127.0.0.1:\(port)") }
    }

    func send(_ text: String) { _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }

    /// Whether the server closed the connection within `seconds` (reads and discards any answer).
    func isClosed(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 100) > 0 {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { return true }
            }
        }
        return false
    }

    func close() { _ = Glibc.close(fd) }
}

@Suite("holdout serve under slow clients", .serialized)
struct SlowClientTests {
    @Test("slow and silent connections are closed after the idle timeout; SIGTERM stops the server within a few seconds even with requests half sent")
    func slowClients() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-slow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("slow.sqlite").path
        _ = try await CLI.run(["db", "migrate", "--database", database])
        let server = try ServerProcess(database: database, extra: ["--idle-timeout", "2"])
        // A head sent byte by byte never completes; a body held back never ends.
        let heads = try (0..<20).map { _ in try RawConnection(port: server.port) }
        for connection in heads { connection.send("GET /healthz HTTP/1.1\r\nHost: x") }
        let bodies = try (0..<5).map { _ in try RawConnection(port: server.port) }
        for connection in bodies {
            connection.send("POST /api/experiments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"name\":")
        }
        // The server still answers others meanwhile.
        #expect(try await server.call("GET", "/healthz", key: nil).0 == 200)
        #expect(heads.allSatisfy { $0.isClosed(within: 6) })
        #expect(bodies.allSatisfy { $0.isClosed(within: 6) })
        for connection in heads + bodies { connection.close() }

        // Half-sent requests in flight at SIGTERM do not hold the process.
        let pending = try (0..<5).map { _ in try RawConnection(port: server.port) }
        for connection in pending { connection.send("POST /api/experiments HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{") }
        let started = Date()
        kill(server.process.processIdentifier, SIGTERM)
        while server.process.isRunning && Date().timeIntervalSince(started) < 10 { try await Task.sleep(for: .milliseconds(50)) }
        let running = server.process.isRunning
        if running { server.process.terminate() }
        #expect(!running, "the server was still running 10 s after SIGTERM")
        #expect(Date().timeIntervalSince(started) < 6)
        for connection in pending { connection.close() }
    }
}
