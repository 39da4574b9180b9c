import Foundation
import HoldoutSimulation

/// A file written with `write(2)` straight from byte buffers (no copies through `Data`).
final class FileSink {
    let path: String
    private let fd: Int32
    private(set) var bytes = 0

    init(path: String) throws(CLIError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CLIError("cannot write '\(path)': \(String(cString: strerror(errno))); check the directory exists and is writable") }
    }

    func write(_ buffer: [UInt8]) throws(CLIError) {
        var failure: CLIError?
        buffer.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = CLIError("writing '\(path)' failed: \(String(cString: strerror(errno)))")
                    return
                }
                done += n
            }
        }
        if let failure { throw failure }
        bytes += buffer.count
    }

    func write(_ text: String) throws(CLIError) { try write(Array(text.utf8)) }

    func close() { Foundation.close(fd) }
}

/// Options that choose a simulation: `--config FILE.yaml` or `--scenario NAME`.
struct ScenarioSource {
    var config: String?
    var scenario: String?

    /// The config, parsed and validated; errors name the file (or scenario) and the field.
    func load() throws -> (config: SimulationConfig, yaml: String, source: String) {
        switch (config, scenario) {
        case (nil, nil): throw CLIError("choose a simulation: --scenario NAME (\(Scenario.names.joined(separator: ", "))) or --config FILE.yaml")
        case (.some, .some): throw CLIError("--config and --scenario are alternatives; give one")
        case (let path?, nil):
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("--config: cannot read '\(path)': check the path") }
            let text = String(decoding: data, as: UTF8.self)
            do {
                return (try SimulationConfig(yaml: text), text, path)
            } catch {
                throw CLIError("\(path): \(error.message)")
            }
        case (nil, let name?):
            guard let text = Scenario.yaml(name) else {
                throw CLIError("--scenario: unknown scenario '\(name)' (known: \(Scenario.names.joined(separator: ", ")))")
            }
            return (try SimulationConfig(yaml: text), text, "scenario \(name)")
        }
    }
}

/// Whether standard error is a terminal (progress lines only then).
var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
