import ArgumentParser
import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStore

struct AssignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "Assign profiles to an experiment's variants, deterministically.",
        discussion: """
            Each profile's variant is SHA256(profile:key:salt) against the weights (spec/assignment-vectors.json \
            has test vectors). A profile already assigned keeps its first assignment, so repeating a call changes \
            nothing. Prints the profiles per variant (seed 001's {assigned, treatment, control}).

            Examples:
              holdout assign --experiment email-q1 --profiles user_001,user_002,user_003
              holdout assign --experiment email-q1 --file segment.txt --json     # one profile id per line
            """)

    @OptionGroup var db: DatabaseOptions
    @OptionGroup var experiment: ExperimentOption
    @Option(help: "Profile ids, comma-separated.") var profiles: String?
    @Option(help: "A file with one profile id per line.") var file: String?
    @Option(help: "The assignment time to record for new assignments (default now), for backfills.") var at: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if (profiles == nil) == (file == nil) { throw ValidationError("give --profiles or --file (one of them)") }
        if let at, Timestamp(parsing: at) == nil { throw ValidationError("--at: '\(at)' is not a timestamp (use 2026-03-01T00:00:00Z)") }
    }

    func run() async throws {
        var ids: [String]
        if let profiles {
            ids = profiles.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        } else {
            guard let path = file, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CLIError("--file: cannot read '\(file ?? "")'")
            }
            ids = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        // Distinct ids, in order, so batches never count a profile twice (ids are bytes:
        // canonically equivalent spellings are different profiles).
        var seen = Set<OpaqueID>()
        ids = ids.filter { seen.insert(OpaqueID($0)).inserted }
        if ids.isEmpty { throw CLIError("no profile ids given") }
        let time = at.flatMap { Timestamp(parsing: $0) } ?? .now
        let result = try await db.with { store in
            let experiment = try await store.requireExperiment(key: experiment.key)
            var total = AssignmentService.Result(assigned: 0, newlyAssigned: 0, counts: [:])
            // Batches keep memory and statement size bounded for large segments.
            for start in stride(from: 0, to: ids.count, by: 50_000) {
                total.merge(
                    try await AssignmentService.assign(
                        profileIDs: Array(ids[start..<min(start + 50_000, ids.count)]), experiment: experiment, store: store, at: time))
            }
            return total
        }
        for warning in result.warnings { Output.error("warning: \(warning)\n") }
        if json { return try Output.json(result) }
        print(
            "assigned \(result.assigned) profiles (\(result.newlyAssigned) new): "
                + result.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
}

struct AssignmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assignment",
        abstract: "Print a profile's variant in an experiment.",
        discussion: "Shows the recorded assignment, or the deterministic one the profile would get if not yet assigned.")

    @OptionGroup var db: DatabaseOptions
    @OptionGroup var experiment: ExperimentOption
    @Option(help: "The profile id.") var profile: String
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var experiment: String
        var profile_id: String
        var variant: String
        var assigned: Bool
        var u: Double
    }

    func run() async throws {
        let report = try await db.with { store in
            let experiment = try await store.requireExperiment(key: experiment.key)
            let recorded = try await store.assignments(experimentID: experiment.id, profileIDs: [profile])[OpaqueID(profile)]
            let assignment = DeterministicAssignment(experiment)
            return Report(
                experiment: experiment.key, profile_id: profile, variant: recorded ?? assignment.variant(for: profile),
                assigned: recorded != nil, u: assignment.unitInterval(for: profile))
        }
        if json { return try Output.json(report) }
        print(report.assigned ? report.variant : "\(report.variant) (not assigned yet; this is the variant it would get)")
    }
}
