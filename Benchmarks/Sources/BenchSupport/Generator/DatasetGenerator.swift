import SyncEventStore

/// The generator behind every dataset: the one `syncevents generate` uses.
///
/// `syncevents generate` uses the same configuration type, so the datasets are what it writes:
/// `syncevents generate --events N --organizations 2 --instances 600 --targets 6000 --seed 42`.
public typealias DatasetGenerator = EventGenerator

/// The shape of the benchmark datasets: `syncevents generate --events N --organizations 2 --instances 600
/// --targets 6000 --seed 42`. Enough instances per organization (300) for a member who sees 200 of them.
public enum DatasetShape {
    public static let organizations = 2
    public static let instances = 600
    public static let targets = 6000
    public static let seed: UInt64 = 42

    /// The generator for `events` events of this shape.
    public static func generator(events: Int) -> DatasetGenerator {
        DatasetGenerator(
            DatasetGenerator.Configuration(
                events: events, organizations: organizations, instances: instances, targets: targets, seed: seed))
    }

    /// The label of a size in benchmark names: 10k, 100k, 1M.
    public static func label(_ events: Int) -> String {
        events >= 1_000_000 && events % 1_000_000 == 0 ? "\(events / 1_000_000)M"
            : events >= 1000 && events % 1000 == 0 ? "\(events / 1000)k" : "\(events)"
    }
}
