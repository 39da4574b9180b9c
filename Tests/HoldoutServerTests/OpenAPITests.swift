import Foundation
import HTTPTypes
import HoldoutModel
import HoldoutServer
import HoldoutStore
import HoldoutTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import Yams

/// The OpenAPI document in the repository, and the operations it documents.
enum OpenAPIDocument {
    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// `Sources/HoldoutServer/openapi.yaml`, found from this file's path.
    static var url: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // HoldoutServerTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
            .appendingPathComponent("Sources/HoldoutServer/openapi.yaml")
    }

    static func text() throws -> String { try String(contentsOf: url, encoding: .utf8) }

    static func parsed() throws -> [String: Any] {
        try #require(try Yams.load(yaml: text()) as? [String: Any], "openapi.yaml is not a YAML mapping")
    }

    /// Every documented operation as `METHOD /path/{}`, with its operation object.
    static func operations() throws -> [String: [String: Any]] {
        let paths = try #require(try parsed()["paths"] as? [String: Any], "openapi.yaml has no paths")
        var out: [String: [String: Any]] = [:]
        for (path, item) in paths {
            let item = try #require(item as? [String: Any], "path \(path) is not a mapping")
            for (method, operation) in item where methods.contains(method) {
                out["\(method.uppercased()) \(normalise(path))"] = try #require(operation as? [String: Any], "\(method) \(path)")
            }
        }
        return out
    }

    /// `/api/experiments/{id}`, `/api/experiments/:id` and `api/experiments/{id}/` all become
    /// `/api/experiments/{}`.
    static func normalise(_ path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { segment -> String in
            if segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}")) { return "{}" }
            return String(segment)
        }
        return "/" + segments.joined(separator: "/")
    }
}

@Suite("OpenAPI document")
struct OpenAPITests {
    @Test("documents exactly the routes the router registers")
    func routesMatch() async throws {
        let documented = Set(try OpenAPIDocument.operations().keys)
        try await TestDatabase.withStore(.sqlite) { store in
            let router = buildRouter(store: store)
            let registered = Set(router.routes.map { "\($0.method.rawValue.uppercased()) \(OpenAPIDocument.normalise($0.path.description))" })
            #expect(registered.count >= 17, "the router registers \(registered.count) routes: \(registered.sorted())")
            // POST /mcp is JSON-RPC (the Model Context Protocol): one envelope for every method, whose
            // tools describe their own arguments in tools/list; it is documented in docs/mcp.md, not here.
            let undocumented = registered.subtracting(documented).subtracting(["POST /mcp", "GET /mcp", "DELETE /mcp"]).sorted()
            let unregistered = documented.subtracting(registered).sorted()
            #expect(undocumented.isEmpty, "registered but not in openapi.yaml: \(undocumented)")
            #expect(unregistered.isEmpty, "in openapi.yaml but not registered: \(unregistered)")
        }
    }

    @Test("/api operations need the bearer key; the others declare no security")
    func security() throws {
        let document = try OpenAPIDocument.parsed()
        let global = document["security"] as? [[String: Any]]
        for (name, operation) in try OpenAPIDocument.operations() {
            let security = (operation["security"] as? [[String: Any]]) ?? global ?? []
            let path = name.split(separator: " ")[1]
            if path.hasPrefix("/api/") {
                #expect(security.contains { $0["bearerAuth"] != nil }, "\(name) does not require bearerAuth")
                #expect(Set((operation["responses"] as? [String: Any] ?? [:]).keys).isSuperset(of: ["401", "500", "503"]), "\(name)")
            } else {
                #expect(security.isEmpty, "\(name) should declare security: []")
            }
        }
    }

    @Test("the served /openapi.yaml is the file in the repository")
    func servedDocument() async throws {
        let expected = try OpenAPIDocument.text()
        #expect(expected.hasPrefix("openapi: 3.1"))
        try await TestDatabase.withStore(.sqlite) { store in
            let app = Application(router: buildRouter(store: store), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await app.test(.router) { client in
                try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/yaml")
                    #expect(String(buffer: response.body) == expected)
                }
            }
        }
    }
}
