import Daemon
import Foundation
import Logging
import Postgres
import Rescreen
import Screening
import Harness
import Store
import TestSupport
import Testing
import Watchlists

/// Small hand-written lists and payments, decided as the daemon decides them, then re-screened.
public enum RescreenFixtures {
    public static func entity(_ id: String, _ names: String..., bics: [String] = []) -> ListEntry {
        ListEntry(sourceId: id, type: .entity, names: names.map { EntryName(name: $0, kind: "primary", strength: .strong) }, bics: bics)
    }

    /// Imports `entries` as a new current version of `source`; `tag` makes the file checksum differ per version.
    @discardableResult
    public static func importList(_ c: Connection, _ entries: [ListEntry], source: ListSource = .ofacSDN, tag: String) throws -> Int64 {
        try ListStore.importList(c, parsed: ParsedList(source: source, entries: entries),
                                 files: [ListFile(name: "\(source.rawValue)-\(tag).csv", text: tag)]).versionId
    }

    public static func mt103(ref: String, orderer: String = "MUELLER GMBH", beneficiary: String, bank: String = "BNPAFRPP") -> String {
        "{1:F01DEUTDEFFAXXX0000000000}{2:I103BNPAFRPPXXXXN}{4:\r\n:20:\(ref)\r\n:23B:CRED\r\n:32A:251017EUR100,00\r\n"
            + ":50K:/DE89370400440532013000\r\n\(orderer)\r\n:57A:\(bank)\r\n:59:/FR1420041010050500013M02606\r\n\(beneficiary)\r\n:71A:SHA\r\n-}"
    }

    /// Inserts pending payments: (external_ref, message).
    public static func insert(_ c: Connection, _ payments: [(String, String)]) throws {
        try c.query("""
            INSERT INTO chokepoint.payments (external_ref, format, message)
            SELECT r, 'mt103', m FROM unnest($1::text[], $2::text[]) AS u(r, m)
            """, [PostgresArray.text(payments.map(\.0)), PostgresArray.text(payments.map(\.1))])
    }

    /// Decides every pending payment with the policy screener over the current lists, exactly as a daemon
    /// worker does (one screening run recording the list versions).
    /// With `recordingKeys`, the decisions carry the payments' rescreen prefilter keys, as the daemon's do; without,
    /// the payments are as if decided before keys were stored (a rescreen must read them).
    public static func decideAll(_ c: Connection, recordingKeys: Bool = false) throws {
        let data = try ListStore.loadScreeningData(c)
        let screener = PolicyScreener(data: data)
        let run = try PaymentStore.startRun(c, kind: "daemon", host: "test", pid: 1, listVersions: data.versionsJSON)
        try c.transaction { c in
            let claimed = try PaymentStore.claim(c, limit: 100_000)
            try PaymentStore.record(c, runId: run, decisions: claimed.map {
                ($0.id, recordingKeys ? screener.screenRecordingKeys(format: $0.format, message: $0.message)
                                      : screener.screen(format: $0.format, message: $0.message))
            })
        }
    }

    /// A confirmed good-guy record (approved by a second operator, valid a year): `matched` in `field` is not
    /// ofac-sdn entry `entryId` of the current version.
    public static func addGoodGuy(_ c: Connection, field: String, matched: String, entryId: String) throws {
        try c.query("""
            INSERT INTO chokepoint.good_guys (field, matched, list, entry_id, entry_fingerprint, reason,
                                              approved_by, approved_at, approve_reason, expires_at)
            SELECT $1, $2, 'ofac-sdn', $3, e.fingerprint, 'same name, other company',
                   'second-operator', now(), 'agreed', now() + interval '1 year'
              FROM chokepoint.list_entries e JOIN chokepoint.list_versions v ON v.id = e.version_id AND v.is_current
             WHERE e.source_id = $3
            """, [field, matched, entryId])
    }

    /// Two databases set up alike by `fixture`, one to re-screen in delta mode and one in full mode (`close` drops both).
    public struct DeltaAndFull {
        public let delta: TestDatabase, full: TestDatabase
        public let dc: Connection, fc: Connection
        public init(_ fixture: (Connection) throws -> Void) throws {
            delta = try TestDatabase.create()
            full = try TestDatabase.create()
            dc = try delta.connect()
            fc = try full.connect()
            try fixture(dc)
            try fixture(fc)
        }
        public func close() {
            dc.close()
            fc.close()
            delta.drop()
            full.drop()
        }
        /// Runs both rescreens: the delta database's as it chooses, the full database's with `--full`.
        public func rescreen() async throws -> (delta: RescreenSummary, full: RescreenSummary) {
            (try await RescreenFixtures.rescreen(delta.conninfo), try await RescreenFixtures.rescreen(full.conninfo) { $0.forceFull = true })
        }
    }

    /// Test set-up only: changes decided payments as history would have them, past the guard trigger
    /// (the product itself never does this).
    public static func rewriteHistory(_ c: Connection, _ sql: String) throws { try withTriggersOff(c, sql) }

    public static func rescreen(_ conninfo: String, _ configure: (inout RescreenConfiguration) -> Void = { _ in }) async throws -> RescreenSummary {
        var config = RescreenConfiguration(conninfo: conninfo)
        config.workers = 2
        config.batchSize = 3
        configure(&config)
        var logger = Logger(label: "test-rescreen")
        logger.logLevel = .critical
        let rescreener = Rescreener(config: config, logger: logger)
        return try await onDedicatedThread { try rescreener.run() }
    }

    public static func scalar(_ c: Connection, _ sql: String, _ params: [String?] = []) throws -> String? {
        try c.query(sql, params).scalar
    }

    public static func count(_ c: Connection, _ sql: String, _ params: [String?] = []) throws -> Int {
        Int(try scalar(c, sql, params) ?? "") ?? -1
    }

    public static let zorbex = entity("1001", "ZORBEX HEAVY INDUSTRIES")
    public static let krasnov = entity("1002", "KRASNOV TRADING HOUSE")
}
