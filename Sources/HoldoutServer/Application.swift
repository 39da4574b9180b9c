import Foundation
public import HoldoutCore
import HoldoutModel
public import HoldoutQuery
public import HoldoutStore
public import Hummingbird
public import Logging
import Metrics
import NIOCore
public import Prometheus
import ServiceLifecycle
import UnixSignals

/// Where and how the server listens.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Run the nightly report in process at this time (UTC).
    public var nightlyAt: DailyTime?
    /// Post each alert of the nightly report to this URL.
    public var alertWebhook: String?
    /// A connection that sends nothing for this long, or takes longer than this to send a
    /// request's head and body, is closed (slow clients cannot hold sockets and memory).
    public var idleTimeout: Duration
    /// How long a stop (SIGTERM, SIGINT) waits for requests in flight.
    public var shutdownGrace: Duration
    /// Where `POST /api/geo/holdouts` writes designs and telemetry (seed 000's `state`).
    public var geoStateDirectory = "state"

    public init(
        host: String = "127.0.0.1", port: Int = 8080, nightlyAt: DailyTime? = nil, alertWebhook: String? = nil, idleTimeout: Duration = .seconds(30),
        shutdownGrace: Duration = .seconds(3)
    ) {
        self.host = host
        self.port = port
        self.nightlyAt = nightlyAt
        self.alertWebhook = alertWebhook
        self.idleTimeout = idleTimeout
        self.shutdownGrace = shutdownGrace
    }
}

/// The process-wide Prometheus registry behind `/metrics` (swift-metrics is bootstrapped once).
public enum ServerMetrics {
    public static let registry = PrometheusCollectorRegistry()
    static let bootstrap: Void = {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }()
}

/// Builds the router: `/healthz`, `/metrics`, `/openapi.yaml`, the `/api` routes behind API keys
/// and the signed `/webhooks`.
///
/// - Parameter analytics: the connections results, time series and quality run on, shared fairly
///   between tenants and time-limited (``AnalyticsPool``), so a long analysis does not hold up
///   assignments, ingestion or another tenant (SQLite's WAL lets readers run beside the
///   writer). Without one, analyses run on `store`.
/// - Parameter sqlRunner: the guarded runner behind `POST /mcp`'s `run_guarded_sql` (default: one
///   on the store's location, with `HOLDOUT_SQL_READER_URL` on PostgreSQL).
public func buildRouter(
    store: Store, analytics: AnalyticsPool? = nil, geoState: GeoStateDirectory = GeoStateDirectory(), sqlRunner: GuardedQueryRunner? = nil
) -> Router<HoldoutRequestContext> {
    _ = ServerMetrics.bootstrap
    let router = Router(context: HoldoutRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.get("healthz") { _, _ in
        try json(["status": "ok", "database": store.dialect.name])
    }
    router.get("metrics") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ServerMetrics.registry.emitToString())))
    }
    router.get("openapi.yaml") { _, _ in
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"), let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw APIError(.internalServerError, code: "internal_error", "the OpenAPI document is missing from the build")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
    let keys = KeyCache()
    let api = router.group("api").add(middleware: AuthMiddleware(store: store, cache: keys))
    let pool = analytics ?? AnalyticsPool(stores: [store], open: { throw StoreError(.unavailable, "no analytics connections to open") })
    var routes = APIRoutes(store: store, analytics: pool, writer: AssignmentWriter(store: store))
    routes.geoState = geoState
    routes.register(on: api)
    MCPRoutes(store: store, analytics: pool, runner: sqlRunner ?? GuardedQueryRunner(location: store.location))
        .register(on: router.group("mcp").add(middleware: AuthMiddleware(store: store, cache: keys)))
    WebhookRoutes(store: store).register(on: router.group("webhooks"))
    return router
}

/// The application: the router on a loopback (or given) address, closing connections that are
/// idle or too slow to send a request after ``ServerConfiguration/idleTimeout``.
public func buildApplication(store: Store, analytics: AnalyticsPool? = nil, configuration: ServerConfiguration, logger: Logger) -> some ApplicationProtocol {
    var services: [any Service] = []
    if let at = configuration.nightlyAt {
        let delivery = configuration.alertWebhook.map { AlertDelivery(url: $0, logger: logger) }
        services.append(NightlyScheduler(job: NightlyJob(store: store, delivery: delivery, logger: logger), at: at, logger: logger))
    }
    let idle = configuration.idleTimeout
    return Application(
        router: buildRouter(store: store, analytics: analytics, geoState: GeoStateDirectory(root: configuration.geoStateDirectory)),
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [
                    SlowRequestHandler(deadline: .nanoseconds(Int64(idle.components.seconds) * 1_000_000_000 + idle.components.attoseconds / 1_000_000_000))
                ],
                idleTimeout: .nanoseconds(Int64(idle.components.seconds) * 1_000_000_000 + idle.components.attoseconds / 1_000_000_000))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "holdout"),
        services: services,
        logger: logger)
}

/// Runs the application until SIGTERM or SIGINT, then stops within a few seconds: the analytics
/// pool answers its waiting and running calls at once, the server finishes requests in flight
/// (at most ``ServerConfiguration/shutdownGrace``), then the group returns.
public func runServer(_ app: some ApplicationProtocol, analytics: AnalyticsPool?, configuration: ServerConfiguration, logger: Logger) async throws {
    // Services shut down in reverse order: the pool first, so no request waits on a query.
    var services: [any Service] = [app]
    if let analytics { services.append(analytics) }
    var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGrace
    groupConfiguration.maximumCancellationDuration = .seconds(1)
    try await ServiceGroup(configuration: groupConfiguration).run()
}
