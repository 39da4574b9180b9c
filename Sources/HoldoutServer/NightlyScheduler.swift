import AsyncHTTPClient
public import Foundation
public import HoldoutCore
public import HoldoutModel
public import HoldoutStore
public import Logging
import NIOCore
import NIOHTTP1
public import ServiceLifecycle

/// A time of day in UTC, `HH:MM`.
public struct DailyTime: Sendable, Hashable, CustomStringConvertible {
    public var hour: Int
    public var minute: Int

    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) else { return nil }
        hour = h
        minute = m
    }

    /// The first instant at this time of day strictly after `date`.
    public func next(after date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(hour: hour, minute: minute, second: 0)
        return calendar.nextDate(after: date, matching: components, matchingPolicy: .nextTime) ?? date.addingTimeInterval(86_400)
    }

    public var description: String { String(format: "%02d:%02d", hour, minute) }
}

/// Runs the nightly report, one at a time, and delivers its alerts.
public actor NightlyJob {
    let store: Store
    let delivery: AlertDelivery?
    let logger: Logger
    private var running = false
    /// Whether a run is in progress.
    public var isRunning: Bool { running }

    public init(store: Store, delivery: AlertDelivery?, logger: Logger) {
        self.store = store
        self.delivery = delivery
        self.logger = logger
    }

    /// Computes, stores and delivers the report; nil when a run is already in progress (the
    /// job never runs twice at once).
    @discardableResult
    public func run(asOf: Timestamp = .now) async -> NightlyReport? {
        guard !running else {
            logger.warning("nightly report already running; skipped")
            return nil
        }
        running = true
        defer { running = false }
        do {
            let report = try await NightlyReportService.run(repository: store, source: store, asOf: asOf)
            try await NightlyReportService.save(report, to: store, asOf: asOf)
            logger.info("nightly report", metadata: ["experiments": "\(report.experiments.count)", "alerts": "\(report.alerts.count)"])
            if let delivery { await delivery.deliver(report.alerts) }
            return report
        } catch {
            logger.error("nightly report failed: \(error.message)")
            return nil
        }
    }
}

/// The in-process schedule of `holdout serve --nightly-at HH:MM` (UTC), stopped by graceful
/// shutdown.
public struct NightlyScheduler: Service {
    let job: NightlyJob
    let at: DailyTime
    let logger: Logger
    /// The wall clock (passed in, so the schedule is tested without waiting or real dates).
    let now: @Sendable () -> Date
    /// Waits for a duration (`Task.sleep` unless a test passes its own).
    let sleep: @Sendable (Duration) async throws -> Void

    public init(
        job: NightlyJob, at: DailyTime, logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.job = job
        self.at = at
        self.logger = logger
        self.now = now
        self.sleep = sleep
    }

    public func run() async throws {
        logger.info("nightly report scheduled daily at \(at) UTC")
        try await cancelWhenGracefulShutdown {
            try await runLoop()
        }
    }

    /// Sleeps until each next run time and runs the job as of that time, until cancelled.
    public func runLoop() async throws {
        while !Task.isCancelled {
            let current = now()
            let next = at.next(after: current)
            try await sleep(.seconds(max(0, next.timeIntervalSince(current))))
            await job.run(asOf: Timestamp(next))
        }
    }
}

/// Posts each alert as JSON to a webhook (Slack-compatible: a `text` field), retrying with
/// exponential backoff when the receiver fails or cannot be reached.
public struct AlertDelivery: Sendable {
    public var url: String
    public var attempts: Int
    public var initialBackoff: Duration
    /// Per attempt (an unreachable receiver is retried until this deadline).
    public var timeout: Duration
    let logger: Logger

    public init(url: String, attempts: Int = 4, initialBackoff: Duration = .milliseconds(500), timeout: Duration = .seconds(10), logger: Logger) {
        self.url = url
        self.attempts = attempts
        self.initialBackoff = initialBackoff
        self.timeout = timeout
        self.logger = logger
    }

    struct Payload: Encodable {
        var text: String
        var alert: NightlyReport.Alert
    }

    /// Delivers every alert; returns how many were accepted (2xx).
    @discardableResult
    public func deliver(_ alerts: [NightlyReport.Alert]) async -> Int {
        var delivered = 0
        for alert in alerts where await post(alert) { delivered += 1 }
        return delivered
    }

    func post(_ alert: NightlyReport.Alert) async -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let body = try? encoder.encode(Payload(text: "[\(alert.severity.rawValue)] \(alert.message)", alert: alert)) else { return false }
        var backoff = initialBackoff
        for attempt in 1...max(1, attempts) {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await HTTPClient.shared.execute(
                    request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
                if (200..<300).contains(response.status.code) { return true }
                logger.warning("alert webhook answered \(response.status.code) (attempt \(attempt) of \(attempts))")
            } catch {
                logger.warning("alert webhook failed: \(error) (attempt \(attempt) of \(attempts))")
            }
            if attempt < attempts {
                try? await Task.sleep(for: backoff)
                backoff *= 2
            }
        }
        logger.error("alert for experiment \(alert.experimentID) not delivered after \(attempts) attempts")
        return false
    }
}
