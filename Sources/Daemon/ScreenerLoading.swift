import Logging
import Postgres
import Screening

/// How the daemon builds its screener from the database.
public enum ScreenerLoading {
    public static func loader(logger: Logger) -> ScreenerLoader {
        { _ in (BasicScreener(), "{}") }
    }
}

/// Work `migrate` does after the SQL files: loading the default indicators when none are loaded.
public enum MigrateHooks {
    public static func afterMigrate(_ c: Connection) throws {}
}
