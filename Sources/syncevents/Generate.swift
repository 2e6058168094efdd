import ArgumentParser
import SyncEventStore

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write realistic synthetic events as NDJSON to stdout.",
        discussion: """
            One event a line: the event JSON plus organizationId, keys in alphabetical order. The same options and seed always give the same output. startedAt values fall in the 90 days before 2026-12-01.

            Example:
              syncevents generate --events 100000 --seed 42 > events.ndjson
              syncevents generate --events 1000000 \\
                | syncevents import --store /tmp/events -
            """
    )

    @Option(help: "How many events to write.")
    var events: Int

    @Option(help: "How many organizations own them.")
    var organizations: Int = 5

    @Option(help: "How many connector instances, spread over the organizations.")
    var instances: Int = 40

    @Option(help: "How many connector targets (repositories), spread over the instances; with fewer than --instances, the other instances have none and their events no target.")
    var targets: Int = 400

    @Option(help: "The random seed: equal seeds give equal output.")
    var seed: UInt64 = 1

    func validate() throws {
        guard events >= 0 else { throw ValidationError("--events must be 0 or more, not \(events)") }
        guard organizations >= 1 else { throw ValidationError("--organizations must be at least 1") }
        guard instances >= organizations else {
            throw ValidationError("--instances must be at least --organizations (\(organizations)): every organization has one")
        }
        guard targets >= 0 else { throw ValidationError("--targets must be 0 or more, not \(targets)") }
    }

    func run() throws {
        var generator = EventGenerator(
            EventGenerator.Configuration(
                events: events, organizations: organizations, instances: instances, targets: targets, seed: seed))
        generator.writeNDJSON { Output.writeAll(1, $0) }
    }
}
