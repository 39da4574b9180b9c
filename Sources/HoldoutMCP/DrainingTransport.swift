public import Foundation
public import Logging
public import MCP

/// A transport around another that remembers which requests it delivered and have not been
/// answered yet, so a process whose input has ended can wait until every request it read has
/// its response (`printf '…' | holdout mcp` answers every line before it exits).
///
/// The SDK's server handles each request in a task of its own and stops reading at the end of
/// the input without waiting for them; this is the missing wait, hand-written because the SDK
/// has no hook for it. Requests are tracked by JSON-RPC id (a batch by the ids in it); only
/// messages the SDK can answer (``JSONRPCEnvelope``) are waited for.
public actor DrainingTransport: Transport {
    public nonisolated let logger: Logger
    private let inner: any Transport
    private let stream: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var pump: Task<Void, Never>?
    private var pending: Set<JSONRPCEnvelope.Identifier> = []

    public init(_ inner: any Transport, logger: Logger) {
        self.inner = inner
        self.logger = logger
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        self.stream = stream
        self.continuation = continuation
    }

    public func connect() async throws {
        try await inner.connect()
        let source = await inner.receive()
        let continuation = continuation
        pump = Task.detached { [weak self] in
            do {
                for try await data in source {
                    // Noted before the server sees it, so its answer always finds it pending.
                    await self?.note(received: data)
                    continuation.yield(data)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }

    public func disconnect() async {
        pump?.cancel()
        await inner.disconnect()
        continuation.finish()
    }

    public func send(_ data: Data) async throws {
        try await inner.send(data)
        for id in Self.ids(in: data, requests: false) { pending.remove(id) }
    }

    public func receive() -> AsyncThrowingStream<Data, any Error> { stream }

    /// Whether every request delivered so far has been answered.
    public var isDrained: Bool { pending.isEmpty }

    /// Returns once every request delivered so far has been answered, or after `timeout`.
    public func drain(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while !pending.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func note(received data: Data) {
        pending.formUnion(Self.ids(in: data, requests: true))
    }

    /// The ids of the requests the SDK will answer (`requests`), or of the answers (objects with
    /// an id and no method), in a message or a batch.
    static func ids(in data: Data, requests: Bool) -> [JSONRPCEnvelope.Identifier] {
        let decoder = JSONDecoder()
        let messages: [JSONRPCEnvelope]
        if let batch = try? decoder.decode([JSONRPCEnvelope].self, from: data) {
            messages = batch
        } else if let one = try? decoder.decode(JSONRPCEnvelope.self, from: data) {
            messages = [one]
        } else {
            return []
        }
        return messages.compactMap { message in
            guard message.jsonrpc == "2.0", requests ? message.isRequest : message.method == nil else { return nil }
            return message.id
        }
    }
}
