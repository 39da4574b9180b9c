import ArgumentParser
import Foundation
import HoldoutModel
import HoldoutStore

struct ExperimentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Create, list, show and change the status of experiments.",
        subcommands: [Create.self, List.self, Show.self, SetStatus.self])

    static func render(_ e: Experiment) -> String {
        var lines = [
            "\(e.key)  \(e.name)  [\(e.status.rawValue)]",
            "  variants: " + e.variants.map { "\($0.name)=\(Output.number($0.weight))" }.joined(separator: ", "),
        ]
        if let channel = e.channel { lines.append("  channel: \(channel)") }
        if e.startAt != nil || e.endAt != nil {
            lines.append("  window: \(e.startAt.map { "\($0)" } ?? "…") → \(e.endAt.map { "\($0)" } ?? "…")")
        }
        lines.append("  conversion: \(e.conversionKey ?? "any outcome") within \(e.conversionWindowDays) days")
        if !e.salt.isEmpty { lines.append("  salt: \(e.salt)") }
        if let notes = e.notes { lines.append("  notes: \(notes)") }
        return lines.joined(separator: "\n")
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an experiment (status draft).",
            discussion: """
                The first variant is control. Assignment hashes SHA256(profile:key:salt), so the key and salt \
                are fixed at creation.

                Examples:
                  holdout experiment create --key email-q1 --name "Email holdout Q1" --variants control=0.2,treatment=0.8 \\
                      --channel email --conversion-key purchase --window-days 7 --start 2026-03-01 --end 2026-03-31T23:59:59Z
                  holdout experiment create --key homepage --name "Homepage" --variants control=0.34,a=0.33,b=0.33 --json
                """)

        @OptionGroup var db: DatabaseOptions
        @Option(help: "URL-safe unique key (letters, digits, - _ .). Default: the numeric id.") var key: String?
        @Option(help: "A human name.") var name: String
        @Option(help: "Arms and weights, control first, summing to 1.") var variants = "control=0.5,treatment=0.5"
        @Option(help: "Marketing channel (email, push, sms…).") var channel: String?
        @Option(help: "The outcome that counts as a conversion.") var conversionKey: String?
        @Option(help: "Days after assignment (or exposure) in which a conversion counts; 0 = no limit.") var windowDays = 7
        @Option(help: "Start (ISO 8601 or epoch seconds).") var start: String?
        @Option(help: "End (ISO 8601 or epoch seconds).") var end: String?
        @Option(help: "Assignment salt (fixed at creation).") var salt = ""
        @Option(help: "Free text.") var notes: String?
        @Option(help: "Tenant.") var tenant = "default"
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            func time(_ text: String?, _ option: String) throws -> Timestamp? {
                guard let text else { return nil }
                guard let t = Timestamp(parsing: text) else {
                    throw CLIError("--\(option): '\(text)' is not a timestamp (use 2026-03-01 or 2026-03-01T00:00:00Z)")
                }
                return t
            }
            let new = NewExperiment(
                key: key, name: name, channel: channel, startAt: try time(start, "start"), endAt: try time(end, "end"),
                conversionKey: conversionKey, conversionWindowDays: windowDays, variants: try Variant.parseList(variants),
                salt: salt, notes: notes, tenant: tenant)
            let experiment = try await db.with { store in try await store.createExperiment(new) }
            if json { return try Output.json(experiment) }
            print("created experiment \(experiment.id)")
            print(ExperimentCommand.render(experiment))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List experiments, newest first.")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Only this status: draft, running, paused, completed, archived.") var status: StatusArgument?
        @Flag(help: "Print one JSON object.") var json = false

        struct Report: Encodable { var experiments: [Experiment] }

        func run() async throws {
            let experiments = try await db.with { store in try await store.experiments(status: status?.value) }
            if json { return try Output.json(Report(experiments: experiments)) }
            if experiments.isEmpty { return print("no experiments yet: create one with `holdout experiment create`") }
            print(
                Output.table(
                    header: ["key", "name", "status", "variants", "channel"],
                    rows: experiments.map {
                        [$0.key, $0.name, $0.status.rawValue, $0.variants.map(\.name).joined(separator: "/"), $0.channel ?? ""]
                    }))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one experiment and its assignment counts.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "The experiment's key.") var key: String
        @Flag(help: "Print one JSON object.") var json = false

        struct Report: Encodable {
            var experiment: Experiment
            var assignments: [String: Int]
        }

        func run() async throws {
            let report = try await db.with { store in
                let experiment = try await store.requireExperiment(key: key)
                return Report(experiment: experiment, assignments: try await store.assignmentCounts(experimentID: experiment.id))
            }
            if json { return try Output.json(report) }
            print(ExperimentCommand.render(report.experiment))
            print("  assigned: " + report.experiment.variants.map { "\($0.name) \(report.assignments[$0.name] ?? 0)" }.joined(separator: ", "))
        }
    }

    struct SetStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-status",
            abstract: "Move an experiment through its lifecycle.",
            discussion: "draft → running → paused ⇄ running → completed → archived (draft and paused may be archived).")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "The experiment's key.") var key: String
        @Argument(help: "draft, running, paused, completed or archived.") var status: StatusArgument
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let experiment = try await db.with { store in try await store.setStatus(key: key, to: status.value) }
            if json { return try Output.json(experiment) }
            print("\(experiment.key) is now \(experiment.status.rawValue)")
        }
    }
}

/// An experiment status as a command-line argument.
struct StatusArgument: ExpressibleByArgument {
    let value: ExperimentStatus
    init?(argument: String) {
        guard let status = ExperimentStatus(rawValue: argument.lowercased()) else { return nil }
        value = status
    }
    static var allValueStrings: [String] { ExperimentStatus.allCases.map(\.rawValue) }
}
