import Foundation
import HoldoutStore
import Testing

@Suite("Store lifetime")
struct StoreLifetimeTests {
    @Test("a store dropped without close() closes its connection (no leak, no driver assertion); closing twice is harmless")
    func droppedStore() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dropped-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        for _ in 0..<3 {
            let store = try await Store.open(.sqlite(path: path))
            _ = try await store.experiments()
        }
        let store = try await Store.open(.sqlite(path: path))
        try await store.close()
        try await store.close()
        // The dropped stores' connections close in their own tasks; the file is usable meanwhile.
        let again = try await Store.open(.sqlite(path: path))
        #expect(try await again.integrityCheck() == "ok")
        try await again.close()
    }

    @Test("a store closed from a cancelled task still closes its connection (NIOThreadPool drops a cancelled task's work)")
    func closedFromCancelledTask() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cancelled-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        for _ in 0..<5 {
            let store = try await Store.open(.sqlite(path: path))
            let task = Task {
                // Wait until cancelled, then close: the close must not be dropped.
                while !Task.isCancelled { await Task.yield() }
                try await store.close()
            }
            task.cancel()
            try await task.value
        }
        // Without the fix the process stops here or above on SQLiteNIO's "not closed" assertion
        // when a released connection deinitializes.
        let again = try await Store.open(.sqlite(path: path))
        #expect(try await again.integrityCheck() == "ok")
        try await again.close()
    }
}
