import Foundation
public import HoldoutModel
public import HoldoutStore
public import Logging
public import ServiceLifecycle
import Synchronization

/// The connections analytical reads (results, time series, quality) run on, shared fairly
/// between tenants and bounded in time.
///
/// - A few connections, so one slow query does not hold up every other tenant's.
/// - At most ``Limits/runningPerTenant`` queries of a tenant run at once and
///   ``Limits/waitingPerTenant`` wait; more are refused (429), so one tenant cannot queue work
///   ahead of everyone else.
/// - Each query has ``Limits/timeout``: the caller gets a 503 then. PostgreSQL cancels the
///   statement itself (`statement_timeout` on the connection, through the dialect); SQLite (the
///   embedded engine, through sqlite-nio, which exposes no `sqlite3_interrupt`) cannot be
///   interrupted, so the connection is taken out of the pool and replaced by a new one, and the
///   tenant's slot stays taken until the query ends — a tenant holds at most one runaway query.
/// - On shutdown, waiting and running calls are answered at once (503), so SIGTERM is not held
///   up by a long query.
public final class AnalyticsPool: Service, Sendable {
    public struct Limits: Sendable {
        public var connections: Int
        public var timeout: Duration
        public var runningPerTenant: Int
        public var waitingPerTenant: Int

        public init(connections: Int = 3, timeout: Duration = .seconds(30), runningPerTenant: Int = 1, waitingPerTenant: Int = 8) {
            self.connections = max(1, connections)
            self.timeout = timeout
            self.runningPerTenant = max(1, runningPerTenant)
            self.waitingPerTenant = max(0, waitingPerTenant)
        }
    }

    /// Why a call was not answered with the query's result.
    public struct Refusal: Error, Sendable {
        public enum Reason: Sendable { case busy, timedOut, shuttingDown }
        public var reason: Reason
        public var message: String
    }

    /// One call: its caller's continuation (resumed once, by the result, the timeout or the
    /// shutdown) and where its query stands — its connection goes back to the pool when it
    /// ends, unless it was replaced after the timeout (then it is closed).
    private final class Call<T: Sendable>: Sendable {
        private enum Phase { case running, done, replaced }
        private let continuation = Mutex<CheckedContinuation<Result<T, any Error>, Never>?>(nil)
        private let phase = Mutex(Phase.running)

        func start(_ continuation: CheckedContinuation<Result<T, any Error>, Never>) {
            self.continuation.withLock { $0 = continuation }
        }

        func finish(_ value: Result<T, any Error>) {
            let pending = continuation.withLock { pending in
                defer { pending = nil }
                return pending
            }
            pending?.resume(returning: value)
        }

        /// Marks the query timed out (and its connection replaced); false when it had ended.
        func timeOut(replacing: Bool) -> Bool {
            phase.withLock { phase in
                guard phase == .running else { return false }
                if replacing { phase = .replaced }
                return true
            }
        }

        /// Marks the query ended; true when its connection was replaced meanwhile.
        func end() -> Bool {
            phase.withLock { phase in
                defer { phase = .done }
                return phase == .replaced
            }
        }
    }

    private struct Waiter {
        let id: UInt64
        let tenant: String
        let continuation: CheckedContinuation<Store?, Never>
    }

    private struct State {
        var free: [Store] = []
        var running: [String: Int] = [:]
        var waiting: [String: Int] = [:]
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
        var isShuttingDown = false
        /// After ``close()``: connections coming back are closed.
        var isClosed = false
        /// Calls in flight, to answer at shutdown.
        var inFlight: [UInt64: @Sendable () -> Void] = [:]
    }

    public let limits: Limits
    private let state: Mutex<State>
    /// Opens a replacement for a connection stuck in a query that cannot be interrupted.
    private let open: @Sendable () async throws -> Store
    private let logger: Logger

    /// - Parameters:
    ///   - stores: the pool's connections (at least one).
    ///   - open: opens a new connection like them (to replace one stuck past its timeout).
    public init(
        stores: [Store], limits: Limits = .init(), logger: Logger = Logger(label: "holdout.analytics"), open: @escaping @Sendable () async throws -> Store
    ) {
        precondition(!stores.isEmpty, "an analytics pool needs a connection")
        self.limits = limits
        self.open = open
        self.logger = logger
        state = Mutex(State(free: stores))
    }

    /// Opens `limits.connections` connections to `location` with the query time limit set.
    public static func open(
        _ location: StoreLocation, limits: Limits = .init(), logger: Logger = Logger(label: "holdout.analytics")
    ) async throws(StoreError) -> AnalyticsPool {
        let seconds = Double(limits.timeout.components.seconds) + Double(limits.timeout.components.attoseconds) / 1e18
        @Sendable func connect() async throws(StoreError) -> Store {
            let store = try await Store.open(location, schema: .unchecked)
            try await store.limitStatementTime(seconds: seconds)
            return store
        }
        var stores: [Store] = []
        for _ in 0..<limits.connections { stores.append(try await connect()) }
        return AnalyticsPool(stores: stores, limits: limits, logger: logger, open: { try await connect() })
    }

    /// Runs `body` on a connection for `tenant`.
    ///
    /// - Throws: ``Refusal`` when the tenant has too many calls waiting, the query runs past
    ///   the timeout, or the server is stopping; otherwise what `body` throws.
    public func run<T: Sendable>(tenant: String, _ body: @escaping @Sendable (Store) async throws -> T) async throws -> T {
        let store = try await acquire(tenant: tenant)
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        let call = Call<T>()
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            call.start(continuation)
            let registered = state.withLock { state -> Bool in
                guard !state.isShuttingDown else { return false }
                state.inFlight[id] = { call.finish(.failure(Refusal(reason: .shuttingDown, message: "the server is stopping; retry on another instance"))) }
                return true
            }
            guard registered else {
                call.finish(.failure(Refusal(reason: .shuttingDown, message: "the server is stopping; retry on another instance")))
                release(store, tenant: tenant)
                return
            }
            // The query runs in its own task: a statement in progress cannot be abandoned, so
            // the connection and the tenant's slot are released only when it ends.
            let limit = limits.timeout
            let canInterrupt = store.dialect.canInterruptStatements
            let timer = Task { [self] in
                do { try await Task.sleep(for: limit) } catch { return }  // cancelled: the query ended
                guard call.timeOut(replacing: !canInterrupt) else { return }
                call.finish(.failure(Refusal(reason: .timedOut, message: "the query ran longer than \(limit); narrow it or try again later")))
                // Keep the pool's size: a new connection takes the stuck one's place.
                if !canInterrupt, let fresh = try? await open() { add(fresh) }
            }
            Task { [self] in
                let value: Result<T, any Error>
                do { value = .success(try await body(store)) } catch { value = .failure(error) }
                timer.cancel()
                _ = state.withLock { $0.inFlight.removeValue(forKey: id) }
                // The connection is back (or closed) before the caller resumes.
                if call.end() {
                    // A new connection took its place while it ran: close it now that it is done.
                    try? await store.close()
                    release(nil, tenant: tenant)
                } else {
                    release(store, tenant: tenant)
                }
                call.finish(value)
            }
        }
        return try result.get()
    }

    /// Closes every idle connection, and each busy one when its query ends (call after the
    /// server stopped).
    public func close() async {
        let stores = state.withLock { state -> [Store] in
            state.isClosed = true
            defer { state.free = [] }
            return state.free
        }
        for store in stores { try? await store.close() }
    }

    // MARK: Service

    /// Waits for the graceful shutdown, then answers every waiting and running call.
    public func run() async throws {
        try? await gracefulShutdown()
        beginShutdown()
    }

    /// Answers every waiting and running call with a refusal and refuses new ones.
    public func beginShutdown() {
        let (waiters, inFlight) = state.withLock { state -> ([Waiter], [@Sendable () -> Void]) in
            state.isShuttingDown = true
            defer {
                state.waiters = []
                state.inFlight = [:]
            }
            return (state.waiters, Array(state.inFlight.values))
        }
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
        for answer in inFlight { answer() }
    }

    // MARK: Connections and slots

    private func acquire(tenant: String) async throws -> Store {
        enum Decision { case now(Store), wait(UInt64), refuse(Refusal) }
        let busy = Refusal(
            reason: .busy,
            message: "too many analytical requests of this tenant at once (\(limits.runningPerTenant) run, \(limits.waitingPerTenant) wait); retry shortly")
        let store: Store? = await withCheckedContinuation { continuation in
            let decision = state.withLock { state -> Decision in
                if state.isShuttingDown { return .refuse(Refusal(reason: .shuttingDown, message: "the server is stopping")) }
                if state.running[tenant, default: 0] < limits.runningPerTenant, let store = state.free.popLast() {
                    state.running[tenant, default: 0] += 1
                    return .now(store)
                }
                guard state.waiting[tenant, default: 0] < limits.waitingPerTenant else { return .refuse(busy) }
                state.nextID += 1
                state.waiting[tenant, default: 0] += 1
                state.waiters.append(Waiter(id: state.nextID, tenant: tenant, continuation: continuation))
                return .wait(state.nextID)
            }
            switch decision {
            case .now(let store): continuation.resume(returning: store)
            case .wait: break
            case .refuse: continuation.resume(returning: nil)
            }
        }
        guard let store else {
            let shuttingDown = state.withLock { $0.isShuttingDown }
            throw shuttingDown ? Refusal(reason: .shuttingDown, message: "the server is stopping; retry on another instance") : busy
        }
        return store
    }

    /// Returns a connection (nil when it was closed) and the tenant's slot, and hands the
    /// connection to the first waiter whose tenant may run.
    private func release(_ store: Store?, tenant: String) {
        let (handOff, closing) = state.withLock { state -> ((Waiter, Store)?, Store?) in
            state.running[tenant, default: 1] -= 1
            if state.running[tenant] == 0 { state.running[tenant] = nil }
            if state.isClosed { return (nil, store) }
            if let store { state.free.append(store) }
            return (Self.nextWaiter(&state, limits: limits), nil)
        }
        if let (waiter, store) = handOff { waiter.continuation.resume(returning: store) }
        if let closing { Task { try? await closing.close() } }
    }

    private func add(_ store: Store) {
        let (handOff, closing) = state.withLock { state -> ((Waiter, Store)?, Store?) in
            if state.isClosed { return (nil, store) }
            state.free.append(store)
            return (Self.nextWaiter(&state, limits: limits), nil)
        }
        if let (waiter, store) = handOff { waiter.continuation.resume(returning: store) }
        if let closing { Task { try? await closing.close() } }
    }

    private static func nextWaiter(_ state: inout State, limits: Limits) -> (Waiter, Store)? {
        guard !state.free.isEmpty,
            let index = state.waiters.firstIndex(where: { state.running[$0.tenant, default: 0] < limits.runningPerTenant })
        else { return nil }
        let waiter = state.waiters.remove(at: index)
        state.waiting[waiter.tenant, default: 1] -= 1
        if state.waiting[waiter.tenant] == 0 { state.waiting[waiter.tenant] = nil }
        state.running[waiter.tenant, default: 0] += 1
        return (waiter, state.free.removeLast())
    }
}
