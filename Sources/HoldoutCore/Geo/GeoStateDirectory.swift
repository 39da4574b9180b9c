public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Seed 000's files under a state directory: designs as JSON documents and one telemetry line
/// per run.
///
/// ```
/// state/analytics/experiments/geo_holdouts/{tenant}_{YYYYMMDD_HHMMSS}.json
/// state/telemetry/experiments/geo_holdout_runs.jsonl
/// ```
///
/// - A design file is written to a temporary file in the same directory, flushed, and linked to
///   its name, which fails rather than replaces when the name exists: a reader never sees half a
///   file, and two runs in the same second get `…_HHMMSS.json` and `…_HHMMSS_2.json`.
/// - A telemetry line is one `write(2)` on a descriptor opened with `O_APPEND`, under an
///   exclusive `flock(2)`: concurrent runs (threads or processes) never interleave or lose lines.
///
/// The tenant id is made safe for a file name reversibly: every byte outside `[A-Za-z0-9-_]` is
/// written `%XX` (upper-case hex), so `acme/eu` becomes `acme%2Feu` (``encodeTenant(_:)``,
/// ``decodeTenant(_:)``).
public struct GeoStateDirectory: Sendable {
    /// The state directory (seed 000's `state`).
    public var root: String

    public init(root: String = "state") { self.root = root }

    /// `{root}/analytics/experiments/geo_holdouts`.
    public var designsDirectory: String { root + "/analytics/experiments/geo_holdouts" }
    /// `{root}/telemetry/experiments/geo_holdout_runs.jsonl`.
    public var telemetryFile: String { root + "/telemetry/experiments/geo_holdout_runs.jsonl" }

    /// Percent-encodes every byte outside `[A-Za-z0-9-_]`.
    public static func encodeTenant(_ tenant: String) -> String {
        var out = ""
        for byte in tenant.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"),
                UInt8(ascii: "_"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// The tenant id an encoded name came from; nil when the name is not an encoding.
    public static func decodeTenant(_ encoded: String) -> String? {
        var bytes: [UInt8] = []
        var utf8 = encoded.utf8.makeIterator()
        while let byte = utf8.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = utf8.next(), let low = utf8.next(), let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else {
                    return nil
                }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// `YYYYMMDD_HHMMSS` in UTC.
    public static func fileStamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ n: Int?) -> String { String(n ?? 0).leftPadded(to: 2) }
        return String(c.year ?? 0).leftPadded(to: 4) + two(c.month) + two(c.day) + "_" + two(c.hour) + two(c.minute) + two(c.second)
    }

    /// Writes a design document; returns its path (`{designsDirectory}/{tenant}_{stamp}.json`,
    /// or `…_{stamp}_N.json` when that name is taken).
    /// - Throws: ``GeoStateError`` when a directory cannot be created or the file written.
    public func writeDesign(_ data: Data, tenant: String, at date: Date) throws(GeoStateError) -> String {
        let directory = designsDirectory
        try Self.makeDirectory(directory)
        let base = directory + "/" + Self.encodeTenant(tenant) + "_" + Self.fileStamp(date)
        let temporary = directory + "/.tmp-\(UUID().uuidString).json"
        try Self.writeFile(temporary, data)
        defer { unlink(temporary) }
        var attempt = 1
        while true {
            let path = attempt == 1 ? base + ".json" : base + "_\(attempt).json"
            if link(temporary, path) == 0 { return path }
            let code = errno
            guard code == EEXIST, attempt < 10_000 else { throw GeoStateError(path: path, doing: "create", errno: code) }
            attempt += 1
        }
    }

    /// Appends one JSON line to the telemetry file (created with its directories when missing).
    /// - Throws: ``GeoStateError`` when the file cannot be opened or written.
    public func appendTelemetry(_ line: Data) throws(GeoStateError) {
        let path = telemetryFile
        try Self.makeDirectory((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw GeoStateError(path: path, doing: "open", errno: errno) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw GeoStateError(path: path, doing: "lock", errno: errno) }
        defer { flock(fd, LOCK_UN) }
        var bytes = line
        if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        try Self.writeAll(fd, bytes, path: path)
    }

    static func makeDirectory(_ path: String) throws(GeoStateError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw GeoStateError(message: "cannot create the directory \(path): \(error.localizedDescription); check --state-dir and its permissions")
        }
    }

    static func writeFile(_ path: String, _ data: Data) throws(GeoStateError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw GeoStateError(path: path, doing: "create", errno: errno) }
        do throws(GeoStateError) {
            try writeAll(fd, data, path: path)
            guard fsync(fd) == 0 else { throw GeoStateError(path: path, doing: "flush", errno: errno) }
            close(fd)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
    }

    static func writeAll(_ fd: Int32, _ data: Data, path: String) throws(GeoStateError) {
        var failure: Int32 = 0
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += n
            }
        }
        if failure != 0 { throw GeoStateError(path: path, doing: "write", errno: failure) }
    }
}

/// A state-directory file that could not be written.
public struct GeoStateError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(message: String) { self.message = message }

    init(path: String, doing: String, errno code: Int32) {
        message = "cannot \(doing) \(path): \(String(cString: strerror(code))); check --state-dir and its permissions"
    }

    public var description: String { message }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
