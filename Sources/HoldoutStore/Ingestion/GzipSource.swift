import CompressNIO
import Foundation
import HoldoutCSV
import NIOCore

/// A file's bytes, decompressed on the fly when it is gzip (by its magic bytes, not its name):
/// what lets `holdout import criteo` read `criteo-uplift-v2.1.csv.gz` as a stream in constant
/// memory. zlib comes through compress-nio (a maintained wrapper; no hand-written inflate).
///
/// - Concatenated gzip members (what `cat a.gz b.gz` and parallel compressors make) are read
///   one after another.
/// - A truncated file is an error, never a silently shorter input: zlib checks each member's
///   CRC when it reaches the member's end, and at the end of the file the bytes of the last
///   member must match its trailer's length (ISIZE); a file cut short fails one or the other.
final class DecompressingSource: ByteSource {
    private let file: FileSource
    private let name: String
    private let inflater: ZlibDecompressor?
    private var input = ByteBuffer()
    private var fileDone = false
    /// The last 4 bytes of the file (the last member's ISIZE, little-endian).
    private var tail: [UInt8] = []
    /// Bytes produced since the current member started.
    private var memberBytes: UInt64 = 0
    private var checkedEnd = false
    /// Whether the file is gzip.
    let isGzip: Bool

    /// - Throws: ``CSVScanner/Failure`` when the file cannot be opened or read.
    init(path: String) throws {
        let file = try FileSource(path: path)
        self.file = file
        name = path
        let start = try Self.reading(path) { try file.read(upToCount: 2) }
        isGzip = start == [0x1F, 0x8B]
        input.writeBytes(start)
        if isGzip {
            do {
                inflater = try ZlibDecompressor(algorithm: .gzip)
            } catch {
                throw CSVScanner.Failure(message: "cannot start decompressing '\(path)': \(error)")
            }
        } else {
            inflater = nil
        }
    }

    private static func reading<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw CSVScanner.Failure(message: "cannot read '\(path)': \(error.localizedDescription)") }
    }

    /// Reads more of the file into `input`; false at its end.
    private func fill() throws -> Bool {
        if fileDone { return false }
        let bytes = try Self.reading(name) { try file.read(upToCount: 1 << 20) }
        if bytes.isEmpty {
            fileDone = true
            return false
        }
        tail = Array((tail + bytes).suffix(4))
        input.discardReadBytes()
        input.writeBytes(bytes)
        return true
    }

    func read(upToCount count: Int) throws -> [UInt8] {
        guard let inflater else {
            // Plain text: the bytes peeked at first, then the file.
            if input.readableBytes > 0 {
                let first = input.readBytes(length: input.readableBytes) ?? []
                return try first + Self.reading(name) { try file.read(upToCount: max(count - first.count, 1)) }
            }
            return try Self.reading(name) { try file.read(upToCount: count) }
        }
        var window = ByteBufferAllocator().buffer(capacity: max(count, 1))
        window.reserveCapacity(minimumWritableBytes: max(count, 1))
        while window.writableBytes > 0 {
            if input.readableBytes == 0, try !fill() { break }
            let before = (input.readableBytes, window.writerIndex)
            // Bytes produced count even when the call ends by asking for room or input.
            defer { memberBytes += UInt64(window.writerIndex - before.1) }
            do {
                try inflater.inflate(from: &input, to: &window)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                break  // the window is full
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                continue  // zlib wants more input
            } catch let error as CompressNIOError where error == .corruptData {
                throw CSVScanner.Failure(message: "'\(name)' is not valid gzip after \(memberBytes) decompressed bytes (corrupt data or a bad checksum)")
            } catch {
                throw CSVScanner.Failure(message: "cannot decompress '\(name)': \(error)")
            }
            if input.readableBytes == before.0 && window.writerIndex == before.1 {
                // The member ended and input remains: the next member starts here (counted
                // from 0 once this iteration's deferred count of nothing has run).
                do { try inflater.reset() } catch { throw CSVScanner.Failure(message: "cannot decompress '\(name)': \(error)") }
                memberBytes = 0
            }
        }
        if window.readableBytes == 0 && fileDone && !checkedEnd {
            checkedEnd = true
            let size = tail.count == 4 ? UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16 | UInt32(tail[3]) << 24 : nil
            guard let size, UInt32(truncatingIfNeeded: memberBytes) == size else {
                throw CSVScanner.Failure(message: "'\(name)' is a truncated gzip file (it ends before its last member's trailer); download it again")
            }
        }
        return Array(window.readableBytesView)
    }
}
