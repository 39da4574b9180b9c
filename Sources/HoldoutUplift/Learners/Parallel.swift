import Dispatch

/// Runs independent pieces of work on a bounded number of threads.
///
/// Work item `k` always runs whole on one thread, and callers only split work whose result
/// does not depend on which thread ran it (one feature's histogram, one chunk of rows written
/// to its own slice), so results are bit-identical for any thread count.
enum Parallel {
    /// Calls `body(k)` for every `k` in `0..<count`, on up to `threads` threads.
    static func forEach(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        let workers = min(max(threads, 1), count)
        if workers <= 1 {
            for k in 0..<count { body(k) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var k = worker
                while k < count {
                    shared.value(k)
                    k += workers
                }
            }
        }
    }

    /// Calls `body(range)` for `threads` contiguous chunks of `0..<count`.
    static func forChunks(_ count: Int, threads: Int, minimumChunk: Int = 16_384, _ body: (Range<Int>) -> Void) {
        let chunks = max(1, min(max(threads, 1), count / minimumChunk))
        let size = (count + chunks - 1) / max(chunks, 1)
        forEach(chunks, threads: threads) { c in
            let start = c * size
            let end = min(count, start + size)
            if start < end { body(start..<end) }
        }
    }
}

/// Carries a value into `concurrentPerform`: the closures and buffers passed this way are only
/// read, or written at indices that no other work item touches (see ``Parallel``).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
