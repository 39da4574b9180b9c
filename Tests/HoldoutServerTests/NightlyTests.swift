import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutServer
import HoldoutStore
import HoldoutTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

@Suite("Nightly schedule and alert delivery")
struct NightlyTests {
    @Test("HH:MM parses and the next run is the next such UTC time")
    func dailyTime() throws {
        #expect(DailyTime("25:00") == nil && DailyTime("2:61") == nil && DailyTime("0200") == nil)
        let at = try #require(DailyTime("02:00"))
        let before = try #require(ISO8601DateFormatter().date(from: "2026-03-15T01:59:00Z"))
        let after = try #require(ISO8601DateFormatter().date(from: "2026-03-15T02:00:00Z"))
        #expect(ISO8601DateFormatter().string(from: at.next(after: before)) == "2026-03-15T02:00:00Z")
        #expect(ISO8601DateFormatter().string(from: at.next(after: after)) == "2026-03-16T02:00:00Z")
    }

    @Test("the schedule sleeps until each next 02:00 UTC and runs the report as of that time (a mock clock, no waiting)")
    func schedule() async throws {
        try await TestDatabase.withStore(.sqlite) { store in
            let clock = Mutex(try #require(ISO8601DateFormatter().date(from: "2026-03-15T01:30:00Z")))
            let slept = Mutex<[Duration]>([])
            let scheduler = NightlyScheduler(
                job: NightlyJob(store: store, delivery: nil, logger: Logger(label: "test")), at: try #require(DailyTime("02:00")),
                logger: Logger(label: "test"),
                now: { clock.withLock { $0 } },
                sleep: { duration in
                    let count = slept.withLock { list in
                        list.append(duration)
                        return list.count
                    }
                    if count > 2 { throw CancellationError() }
                    clock.withLock { $0 = $0.addingTimeInterval(Double(duration.components.seconds)) }
                })
            await #expect(throws: CancellationError.self) { try await scheduler.runLoop() }
            // 30 minutes to the first run, then a day to the next.
            #expect(slept.withLock { $0 } == [.seconds(1800), .seconds(86_400), .seconds(86_400)])
            // Two runs, the latest as of the second 02:00.
            let stored = try #require(try await store.latestReport(kind: "nightly"))
            #expect(stored.contains("\"as_of_date\":\"2026-03-16T02:00:00Z\""))
        }
    }

    @Test("alerts are posted as JSON with a text field; a failing receiver is retried with backoff")
    func delivery() async throws {
        // A local receiver that fails the first request and accepts the rest.
        let received = Mutex<[String]>([])
        let router = Router()
        router.post("hook") { request, context -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            let count = received.withLock { list in
                list.append(String(buffer: body))
                return list.count
            }
            return count == 1 ? .serviceUnavailable : .ok
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let delivery = AlertDelivery(url: "http://127.0.0.1:\(port)/hook", attempts: 3, initialBackoff: .milliseconds(10), logger: Logger(label: "test"))
            let alerts = [
                NightlyReport.Alert(experimentID: 1, tenant: "t", kind: .significantPositive, message: "A is up", severity: .success),
                NightlyReport.Alert(experimentID: 2, tenant: "t", kind: .insufficientData, message: "B is small", severity: .info),
            ]
            #expect(await delivery.deliver(alerts) == 2)
            let bodies = received.withLock { $0 }
            #expect(bodies.count == 3)  // the first attempt failed and was retried
            let first = try #require(try JSONSerialization.jsonObject(with: Data(bodies[1].utf8)) as? [String: Any])
            #expect(first["text"] as? String == "[success] A is up")
            // A receiver that never answers: the alert is reported undelivered after its attempts.
            let unreachable = AlertDelivery(
                url: "http://127.0.0.1:1/hook", attempts: 2, initialBackoff: .milliseconds(5), timeout: .milliseconds(300), logger: Logger(label: "test"))
            #expect(await unreachable.deliver(alerts) == 0)
        }
    }

    @Test("the nightly job stores a report and refuses a second run while one is in progress", arguments: Engine.underTest)
    func job(engine: Engine) async throws {
        try await TestDatabase.withStore(engine) { store in
            // Enough running experiments that a run lasts long enough to be caught in progress.
            for i in 0..<20 {
                let experiment = try await store.createExperiment(NewExperiment(key: "n\(i)", name: "N\(i)"))
                try await store.setStatus(key: experiment.key, to: .running)
            }
            let job = NightlyJob(store: store, delivery: nil, logger: Logger(label: "test"))
            let first = Task { await job.run(asOf: ts("2026-03-15T02:00:00Z")) }
            var sawRunning = false
            for _ in 0..<10_000 where !sawRunning {
                sawRunning = await job.isRunning
                if !sawRunning { await Task.yield() }
            }
            try #require(sawRunning, "the first run was never seen in progress")
            // A second call while the first runs is refused (nil) and stores nothing.
            #expect(await job.run(asOf: ts("2026-03-16T02:00:00Z")) == nil)
            let report = try #require(await first.value)
            #expect(report.experiments.count == 20)
            #expect(await job.isRunning == false)
            let latest = try #require(try await store.latestReport(kind: "nightly"))
            #expect(latest.contains("\"as_of_date\":\"2026-03-15T02:00:00Z\""))
        }
    }
}
