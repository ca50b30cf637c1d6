import Postgres

/// Upkeep of the monthly partitions of `payments`, `hits` and `audit_log` (see `sql/012_partitions.up.sql`).
///
/// There is no default partition: a row whose month has no partition is refused, so partitions must exist
/// before their month begins. `chokepoint migrate` and the daemon (hourly) create them ahead.
public enum Partitions {
    /// Months ahead of the current one (UTC) that `migrate` and the daemon keep partitions for.
    public static let defaultMonthsAhead = 3
    /// The most months ahead `ensure` takes (the database's `ensure_partitions` refuses more).
    public static let maxMonthsAhead = 24

    /// Creates the missing partitions of the current month and of the next `monthsAhead`; returns how many
    /// it created (0 when all exist, which takes no lock on any table).
    @discardableResult
    public static func ensure(_ c: Connection, monthsAhead: Int = defaultMonthsAhead) throws -> Int {
        try c.query("SELECT chokepoint.ensure_partitions($1)", [String(monthsAhead)]).rows.first?.int(0) ?? 0
    }

    /// The first month (`YYYY-MM-DD`, its first day) from the current one on without all three partitions.
    public static func until(_ c: Connection) throws -> String? {
        try c.query("SELECT chokepoint.partitions_until()").scalar
    }
}
