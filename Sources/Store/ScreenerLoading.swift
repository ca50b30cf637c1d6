import Logging
import Postgres
import Screening

/// Builds the screener from what the database holds (lists, indicators, settings), describes the list
/// versions it used as a JSON object, and says which `chokepoint.policy_generation` it was built from
/// (nil: the screener does not depend on database policy, so workers never wait for a reload).
/// Throws when the lists cannot be read.
public typealias ScreenerLoader = @Sendable (Connection) throws -> (screener: any PaymentScreener, listVersions: String, policyGeneration: Int64?)

/// How the daemon, `screen` and `rescreen` build their screener from the database.
public enum ScreenerLoading {
    /// Lists older than this are logged as stale on every load (sanctions lists change daily).
    public static let staleAfterHours = 48.0

    /// Loads lists, indicators, settings and good guys, and builds the policy screener. With no sanctions
    /// list loaded, the screener holds everything as `lists_unavailable` (fail closed).
    public static func loader(logger: Logger) -> ScreenerLoader {
        { c in
            let data = try ListStore.loadScreeningData(c)
            if !data.hasSanctionsList {
                logger.error("no sanctions list is loaded: every payment will be held as lists_unavailable; run `chokepoint lists import`")
            }
            for row in try ListStore.status(c) {
                let metadata: Logger.Metadata = ["source": "\(row.source)", "version": "\(row.versionId)", "entries": "\(row.entries)",
                                                 "age_hours": "\(Int(row.ageHours))"]
                if row.source != "indicators" && row.ageHours > staleAfterHours {
                    logger.warning("list is stale: import a current file", metadata: metadata)
                } else {
                    logger.info("list in force", metadata: metadata)
                }
            }
            if !data.policyProblems.isEmpty {
                logger.critical("the screening policy in the database is invalid: every payment will be held as policy_invalid",
                                metadata: ["problems": "\(data.policyProblems.joined(separator: "; "))"])
                return (PolicyInvalidScreener(problems: data.policyProblems), data.versionsJSON, data.policyGeneration)
            }
            return (PolicyScreener(data: data), data.versionsJSON, data.policyGeneration)
        }
    }
}

/// Work `migrate` does after the SQL files: loading the default indicators when none are loaded.
public enum MigrateHooks {
    /// Installs the default indicators where none are loaded; returns what to tell the operator: lines for
    /// standard output, and notices for standard error.
    public static func afterMigrate(_ c: Connection) throws -> (info: [String], notices: [String]) {
        if try ListStore.installDefaultIndicatorsIfMissing(c) {
            return (["loaded the default end-use indicators (CHPL codes, keywords, country sets)"], [])
        } else if try ListStore.defaultIndicatorsOutdated(c) {
            return ([], ["""
                notice: the indicators in force are the defaults of an earlier release; this release's defaults differ \
                (keywords, exclusions). They are policy, so migrate leaves them: to adopt them, a policy admin runs \
                `chokepoint lists default-indicators > defaults.csv` and `chokepoint lists import --source indicators \
                defaults.csv --reason "…"`, and a second one applies the request (docs/OPERATIONS.md, Upgrade).
                """])
        }
        return ([], [])
    }
}
