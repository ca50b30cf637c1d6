import Logging
import Postgres
import Screening

/// How the daemon, `screen` and `rescreen` build their screener from the database.
public enum ScreenerLoading {
    /// Loads lists, indicators, settings and good guys, and builds the policy screener. With no sanctions
    /// list loaded, the screener holds everything as `lists_unavailable` (fail closed).
    public static func loader(logger: Logger) -> ScreenerLoader {
        { c in
            let data = try ListStore.loadScreeningData(c)
            if !data.hasSanctionsList {
                logger.error("no sanctions list is loaded: every payment will be held as lists_unavailable; run `chokepoint lists import`")
            }
            return (PolicyScreener(data: data), data.versionsJSON)
        }
    }
}

/// Work `migrate` does after the SQL files: loading the default indicators when none are loaded.
public enum MigrateHooks {
    public static func afterMigrate(_ c: Connection) throws {
        if try ListStore.installDefaultIndicatorsIfMissing(c) {
            print("loaded the default end-use indicators (CHPL codes, keywords, country sets)")
        }
    }
}
