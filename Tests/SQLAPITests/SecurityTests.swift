import Foundation
import IntegrationSupport
import Postgres
import Rescreen
import Screening
import Store
import TestSupport
import Testing
import Watchlists

/// Attacks on the SQL API, each run as the role that must be refused.
@Suite("security: the SQL API attacked as each role", .enabled(if: TestDatabase.enabled))
struct SecurityTests {
    typealias F = RescreenFixtures

    /// A login that is a member of `role`, connected.
    static func login(_ db: TestDatabase, _ prefix: String, _ role: String) throws -> (name: String, c: Connection) {
        let name = try db.createLoginRole(prefix: prefix, memberOf: role)
        return (name, try Connection(conninfo: db.conninfo(user: name)))
    }

    /// Runs `sql` and expects it refused with `state` (insufficient privilege unless told otherwise).
    static func refused(_ c: Connection, _ sql: String, _ params: [String?] = [], state: String = PostgresError.insufficientPrivilege,
                        containing: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try c.query(sql, params)
            Issue.record("allowed: \(sql)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.sqlState == state, "\(sql): \(error.message)", sourceLocation: sourceLocation)
            if let containing { #expect(error.message.contains(containing), "\(error.message)", sourceLocation: sourceLocation) }
        }
    }

    /// One sanctions hold decided by the daemon role under its own run; returns (payment id, daemon connection).
    static func heldByDaemon(_ db: TestDatabase, _ admin: Connection, ref: String = "H1") throws -> (String, Connection) {
        let id = try admin.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ($1, 'mt103', 'm') RETURNING id", [ref]).scalar!
        let (_, d) = try Self.login(db, "dmn", "chokepoint_daemon")
        let run = try PaymentStore.startRun(d, kind: "daemon", host: "h", pid: 1, listVersions: "{}")
        try d.transaction { d in
            _ = try PaymentStore.claim(d, limit: 10)
            try PaymentStore.record(d, runId: run, decisions: [(Int64(id)!, Decision(hits: [OperatorTests.sanctionsHit]))])
        }
        #expect(try admin.query("SELECT status FROM chokepoint.payments WHERE id = $1", [id]).scalar == "held")
        return (id, d)
    }

    // MARK: - 1. The daemon role

    @Test("the daemon cannot release, reject or rewrite a held payment, even naming an operator action in a session setting")
    func daemonCannotReleaseHolds() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let admin = try db.connect()
        let (id, d) = try Self.heldByDaemon(db, admin)
        Self.refused(d, "UPDATE chokepoint.payments SET status = 'released', decided_at = now() WHERE id = $1", [id])
        try d.query("BEGIN")
        try d.query("SELECT set_config('chokepoint.action', 'release_hold', true), set_config('chokepoint.reason', 'approved', true)")
        Self.refused(d, "UPDATE chokepoint.payments SET status = 'released', decided_at = now() WHERE id = $1", [id])
        try d.query("ROLLBACK")
        Self.refused(d, "UPDATE chokepoint.payments SET status = 'rejected', decided_at = now() WHERE id = $1", [id])
        Self.refused(d, "UPDATE chokepoint.payments SET reasons = '{}' WHERE id = $1", [id])
        #expect(try admin.query("SELECT status, reasons::text FROM chokepoint.payments WHERE id = $1", [id]).rows[0].values == ["held", "{sanctioned_party}"])
        #expect(try admin.query("SELECT count(*) FROM chokepoint.audit_log WHERE action IN ('release_hold', 'reject_hold')").scalar == "0")
    }

    @Test("the daemon decides a pending payment only under a screening run it started itself")
    func daemonNeedsItsOwnRun() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let admin = try db.connect()
        let id = try admin.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('P1', 'mt103', 'm') RETURNING id").scalar!
        let (_, d) = try Self.login(db, "dmn", "chokepoint_daemon")
        let (_, other) = try Self.login(db, "dmo", "chokepoint_daemon")
        let othersRun = try PaymentStore.startRun(other, kind: "daemon", host: "h", pid: 2, listVersions: "{}")
        let dryRun = try PaymentStore.startRun(d, kind: "screen", host: "h", pid: 1, listVersions: "{}")
        Self.refused(d, "UPDATE chokepoint.payments SET status = 'released', decided_at = now() WHERE id = $1", [id])
        Self.refused(d, "UPDATE chokepoint.payments SET status = 'released', decided_at = now(), screening_run_id = $2 WHERE id = $1", [id, String(othersRun)])
        Self.refused(d, "UPDATE chokepoint.payments SET status = 'released', decided_at = now(), screening_run_id = $2 WHERE id = $1", [id, String(dryRun)])
        Self.refused(d, "UPDATE chokepoint.payments SET status = 'released', decided_at = now(), screening_run_id = 999999 WHERE id = $1", [id],
                     state: "23503")
        // A run row claiming to be someone else's is refused at the column grant.
        Self.refused(d, "INSERT INTO chokepoint.screening_runs (kind, created_by) VALUES ('daemon', $1)", [try other.query("SELECT session_user").scalar])
        #expect(try admin.query("SELECT status FROM chokepoint.payments WHERE id = $1", [id]).scalar == "pending")
        // Its own run works, and the audit action is the server's ('decision'), whatever the session says.
        let mine = try PaymentStore.startRun(d, kind: "daemon", host: "h", pid: 1, listVersions: "{}")
        try d.transaction { d in
            try d.query("SELECT set_config('chokepoint.action', 'release_hold', true), set_config('chokepoint.reason', 'forged', true)")
            _ = try PaymentStore.claim(d, limit: 10)
            #expect(try PaymentStore.record(d, runId: mine, decisions: [(Int64(id)!, .release)]) == [Int64(id)!])
        }
        #expect(try admin.query("SELECT action, reason FROM chokepoint.audit_log WHERE payment_id = $1", [id]).rows.map(\.values) == [["decision", nil]])
    }

    @Test("a payment names only a screening run that exists (schema 17's trigger checks, not a foreign key); runs are never deleted, truncated or renumbered")
    func screeningRunReferences() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let admin = try db.connect()
        #expect(try admin.query("SELECT count(*) FROM pg_constraint WHERE conrelid = 'chokepoint.payments'::regclass AND contype = 'f'").scalar == "0")
        let run = try admin.query("INSERT INTO chokepoint.screening_runs (kind) VALUES ('daemon') RETURNING id").scalar!
        // Inserting a payment with a run (only the owner's grants allow it): a missing run is refused, whichever row names it.
        Self.refused(admin, """
            INSERT INTO chokepoint.payments (external_ref, format, message, screening_run_id)
            VALUES ('P0', 'mt103', 'm', NULL), ('P1', 'mt103', 'm', 424242)
            """, state: "23503", containing: "424242")
        try admin.query("INSERT INTO chokepoint.payments (external_ref, format, message, screening_run_id) VALUES ('P2', 'mt103', 'm', $1), ('P3', 'mt103', 'm', NULL)", [run])
        #expect(try admin.query("SELECT count(*) FROM chokepoint.payments").scalar == "2")
        // Into a month's partition directly: the row trigger is cloned onto every partition.
        let month = try admin.query("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY\"m\"MM')").scalar!
        Self.refused(admin, "INSERT INTO chokepoint.payments_y\(month) (id, external_ref, format, message, screening_run_id) VALUES (900001, 'P4', 'mt103', 'm', 424245)",
                     state: "23503", containing: "424245")
        // Giving pending payments a run: one missing run among the rows refuses the statement.
        Self.refused(admin, "UPDATE chokepoint.payments SET screening_run_id = CASE external_ref WHEN 'P3' THEN 424242 ELSE $1::bigint END", [run],
                     state: "23503", containing: "424242")
        try admin.query("UPDATE chokepoint.payments SET screening_run_id = $1 WHERE external_ref = 'P3'", [run])
        // Deciding under a missing run: as the daemon role (SecurityTests.daemonNeedsItsOwnRun) and as a superuser.
        Self.refused(admin, "UPDATE chokepoint.payments SET status = 'released', decided_at = now(), screening_run_id = 424243 WHERE external_ref = 'P2'",
                     state: "23503", containing: "424243")
        // The owner (as the operator functions run) may touch a decided payment, but not give it a missing run.
        let (held, _) = try Self.heldByDaemon(db, admin)
        try admin.query("SET ROLE chokepoint_owner")
        Self.refused(admin, "UPDATE chokepoint.payments SET screening_run_id = 424244 WHERE id = $1", [held], state: "23503", containing: "424244")
        try admin.query("UPDATE chokepoint.payments SET screening_run_id = $2 WHERE id = $1", [held, run])
        // Runs stay, for the owner and the superuser alike.
        for role in ["chokepoint_owner", "NONE"] {
            try admin.query("SET ROLE \(role)")
            Self.refused(admin, "DELETE FROM chokepoint.screening_runs WHERE id = $1", [run])
            Self.refused(admin, "DELETE FROM chokepoint.screening_runs WHERE id NOT IN (SELECT screening_run_id FROM chokepoint.payments WHERE screening_run_id IS NOT NULL)")
            Self.refused(admin, "TRUNCATE chokepoint.screening_runs CASCADE")
            Self.refused(admin, "UPDATE chokepoint.screening_runs SET id = DEFAULT")
        }
        // What the daemon does to its runs still works (finishing one), and nothing was lost.
        let (_, d) = try Self.login(db, "dmr", "chokepoint_daemon")
        let mine = try PaymentStore.startRun(d, kind: "daemon", host: "h", pid: 1, listVersions: "{}")
        try PaymentStore.finishRun(d, runId: mine)
        #expect(try admin.query("SELECT count(*) FILTER (WHERE finished_at IS NOT NULL) || '/' || count(*) FROM chokepoint.screening_runs").scalar == "1/3")
        #expect(try admin.query("SELECT count(*) FROM chokepoint.payments WHERE screening_run_id = $1", [run]).scalar == "3")
        #expect(try admin.query("SELECT status FROM chokepoint.payments WHERE external_ref = 'P2'").scalar == "pending")
    }

    @Test("an operator's release runs through release_hold only; the audit row is the server's")
    func operatorCannotUpdateDirectly() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let admin = try db.connect()
        let (id, _) = try Self.heldByDaemon(db, admin)
        let (_, op) = try Self.login(db, "op", "chokepoint_operator")
        Self.refused(op, "UPDATE chokepoint.payments SET status = 'released', decided_at = now() WHERE id = $1", [id])
        Self.refused(op, "INSERT INTO chokepoint.audit_log (action, payment_id) VALUES ('release_hold', $1)", [id])
        Self.refused(op, "UPDATE chokepoint.audit_log SET reason = 'x'")
    }

    // MARK: - 2. Functions: nothing executable by PUBLIC but the API

    /// Every function of the schema with the roles that may execute it. A new function must be added here
    /// on purpose: the test fails for anything executable that is not meant to be.
    static let expectedExecute: [String: Set<String>] = [
        "acknowledge_alert(bigint,text)": ["chokepoint_operator"],
        "add_good_guy(bigint,text)": ["chokepoint_operator"],
        "reject_hold(bigint,text)": ["chokepoint_operator"],
        "release_hold(bigint,text)": ["chokepoint_operator"],
        "revoke_good_guy(bigint,text)": ["chokepoint_operator"],
        "apply_policy_change(bigint,text)": ["chokepoint_policy_admin"],
        "request_policy_change(jsonb,text)": ["chokepoint_policy_admin"],
        "withdraw_policy_change(bigint,text)": ["chokepoint_policy_admin"],
        "audit_field(text)": [],
        "audit_log_chain()": [],
        "audit_log_refuse_change()": [],
        "audit_row_hash(text,bigint,bigint,timestamp with time zone,text,text,bigint,text,jsonb)": [],
        "bump_policy_generation()": [],
        "list_version_current()": [],
        "max_message_bytes_changed()": [],
        "payments_decided()": [],
        "payments_guard()": [],
        "payments_wake()": [],
        "policy_change_problem(jsonb)": [],
        "policy_data_changed()": [],
        "reason_ok(text)": [],
        "screening_attempts_guard()": [],
        "payment_screening_keys_row()": [],
        "payment_screening_keys_rows()": [],
        "payment_release_days_add()": [],
        "setting_number(text,numeric)": [],
        "setting_problem(text,jsonb)": [],
        // Monthly partitions and archiving (schema 12).
        "ensure_partitions(integer)": ["chokepoint_archiver", "chokepoint_daemon"],
        "partitions_until()": ["chokepoint_archiver", "chokepoint_daemon"],
        "archive_month_problem(date)": ["chokepoint_archiver"],
        "archive_detach(date,bigint,bigint,bigint,text)": ["chokepoint_archiver"],
        "archive_drop(date)": ["chokepoint_archiver"],
        "archive_records_refuse_change()": [],
        "create_month_partitions(date)": [],
        "copy_table_grants(regclass,regclass)": [],
        "hit_reference_check()": [],
        "partition_name(text,date)": [],
        "partitioned_tables()": [],
        "payment_reference_check()": [],
        "payments_register_refs()": [],
        // Runs are never deleted; a payment inserted with one names one that exists (schema 17).
        "screening_runs_refuse_change()": [],
        "payment_run_check()": [],
    ]

    /// Planner settings of the functions that join an UPDATE's transition tables (schema 16: no nested loop, whatever
    /// batch sizes a session's plans were first made for).
    static let plannerSettings = ["payments_guard()": "enable_nestloop=off", "payments_decided()": "enable_nestloop=off"]

    @Test("every function's EXECUTE grants match the expected table; every function has a fixed search_path")
    func functionPrivilegeTable() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let roles = ["public", "chokepoint_submitter", "chokepoint_operator", "chokepoint_daemon", "chokepoint_policy_admin", "chokepoint_auditor",
                     "chokepoint_archiver"]
        let rows = try c.query("""
            SELECT regexp_replace(p.oid::regprocedure::text, '^chokepoint\\.', ''),
                   array_to_string(ARRAY(SELECT r FROM unnest($1::text[]) AS r WHERE has_function_privilege(r, p.oid, 'EXECUTE') ORDER BY r), ','),
                   coalesce(array_to_string(p.proconfig, ','), ''), pg_get_userbyid(p.proowner)
              FROM pg_proc AS p WHERE p.pronamespace = 'chokepoint'::regnamespace ORDER BY 1
            """, [PostgresArray.text(roles)]).rows
        var actual: [String: Set<String>] = [:]
        for r in rows {
            let name = r.string(0)!
            actual[name] = Set((r.string(1) ?? "").split(separator: ",").map(String.init))
            let config = ["search_path=pg_catalog, pg_temp"] + (Self.plannerSettings[name].map { [$0] } ?? [])
            #expect(r.string(2) == config.joined(separator: ","), "\(name) has settings '\(r.string(2) ?? "")'")
            #expect(r.string(3) == "chokepoint_owner", "\(name) is owned by \(r.string(3) ?? "")")
        }
        #expect(actual == Self.expectedExecute)
        // Nothing in the schema is owned by a login role, and the schema itself belongs to the NOLOGIN owner.
        #expect(try c.query("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'chokepoint'").scalar == "chokepoint_owner")
        #expect(try c.query("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'chokepoint_owner'").scalar == "f")
        #expect(try c.query("""
            SELECT count(*) FROM pg_class WHERE relnamespace = 'chokepoint'::regnamespace AND relkind IN ('r', 'v', 'S')
               AND pg_get_userbyid(relowner) <> 'chokepoint_owner'
            """).scalar == "0")
    }

    @Test("a submitter cannot create temporary tables, attach a trigger function, forge audit rows or stall screening")
    func triggerFunctionsAreNotAPI() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let admin = try db.connect()
        let (sub, s) = try Self.login(db, "sub", "chokepoint_submitter")
        // `migrate` took TEMP away from PUBLIC.
        Self.refused(s, "CREATE TEMP TABLE t (id bigint, status text)")
        // Where a DBA grants TEMP anyway, the trigger functions still cannot be attached.
        try admin.query("DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO \(sub)', current_database()); END $$")
        try s.query("CREATE TEMP TABLE t (id bigint, status text)")
        for f in ["payments_decided", "policy_data_changed", "bump_policy_generation", "list_version_current", "audit_log_chain",
                  "payments_guard", "max_message_bytes_changed", "screening_attempts_guard"] {
            Self.refused(s, "CREATE TRIGGER x_\(f) AFTER INSERT ON pg_temp.t FOR EACH ROW EXECUTE FUNCTION chokepoint.\(f)()")
        }
        Self.refused(s, "SELECT chokepoint.setting_problem('name_match_threshold', '2')")
        Self.refused(s, "SELECT chokepoint.release_hold(1, 'x')")
        Self.refused(s, "SELECT chokepoint.request_policy_change('{}', 'x')")
        #expect(try admin.query("SELECT count(*) FROM chokepoint.audit_log WHERE actor = $1", [sub]).scalar == "0")
        // Defence in depth: even attached by a superuser to another table, the SECURITY DEFINER functions refuse to run.
        try admin.query("CREATE TABLE public.decoy (id bigint, status text, reasons text[], screening_run_id bigint, error text, suppressions bigint[])")
        for f in ["payments_decided", "policy_data_changed", "bump_policy_generation", "audit_log_chain"] {
            try admin.query("CREATE TRIGGER x_\(f) BEFORE UPDATE ON public.decoy FOR EACH ROW EXECUTE FUNCTION chokepoint.\(f)()")
        }
        try admin.query("INSERT INTO public.decoy VALUES (1, 'held', '{}', NULL, NULL, '{}')")
        let generation = try admin.query("SELECT value FROM chokepoint.policy_generation").scalar
        Self.refused(admin, "UPDATE public.decoy SET status = 'released'", containing: "fires only")
        #expect(try admin.query("SELECT value FROM chokepoint.policy_generation").scalar == generation)
    }

    // MARK: - 3. Good guys: four eyes, expiry, recorded suppressions

    @Test("a good-guy record needs a second operator, expires, and every payment it releases records the suppressed hit")
    func goodGuysNeedFourEyes() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try F.importList(c, [F.zorbex], tag: "v1")
        try F.insert(c, [("G1", F.mt103(ref: "G1", beneficiary: "ZORBEX HEAVY INDUSTRIES"))])
        try F.decideAll(c)
        let hit = try c.query("SELECT h.id FROM chokepoint.hits h JOIN chokepoint.payments p ON p.id = h.payment_id WHERE p.external_ref = 'G1'").scalar!
        let (nameA, a) = try Self.login(db, "gga", "chokepoint_operator")
        let (_, b) = try Self.login(db, "ggb", "chokepoint_operator")

        let gg = try a.query("SELECT chokepoint.add_good_guy($1, 'other company: registry 778')", [hit]).scalar!
        #expect(try c.query("SELECT count(*) FROM chokepoint.active_good_guys").scalar == "0")
        Self.refused(a, "SELECT chokepoint.add_good_guy($1, 'confirming my own request')", [hit], containing: "second operator")
        // Still held: one operator alone whitelisted nothing.
        try F.insert(c, [("G2", F.mt103(ref: "G2", beneficiary: "ZORBEX HEAVY INDUSTRIES"))])
        try F.decideAll(c)
        #expect(try c.query("SELECT status FROM chokepoint.payments WHERE external_ref = 'G2'").scalar == "held")

        #expect(try b.query("SELECT chokepoint.add_good_guy($1, 'agreed: registry 778 is not the listed company')", [hit]).scalar == gg)
        let record = try c.query("""
            SELECT created_by, approved_by <> created_by, round(extract(epoch FROM expires_at - approved_at) / 86400)::text
              FROM chokepoint.good_guys WHERE id = $1
            """, [gg]).rows[0].values
        #expect(record == [nameA, "t", "365"])
        try F.insert(c, [("G3", F.mt103(ref: "G3", beneficiary: "ZORBEX HEAVY INDUSTRIES"))])
        try F.decideAll(c)
        #expect(try c.query("SELECT status, suppressions::text FROM chokepoint.payments WHERE external_ref = 'G3'").rows[0].values == ["released", "{\(gg)}"])
        #expect(try c.query("""
            SELECT h.kind || ' ' || h.entry_id || ' ' || h.suppressed_by FROM chokepoint.hits h JOIN chokepoint.payments p ON p.id = h.payment_id
             WHERE p.external_ref = 'G3'
            """).scalar == "sanctioned_party 1001 \(gg)")
        #expect(try c.query("""
            SELECT a.detail->>'suppressed_by_good_guys' FROM chokepoint.audit_log a JOIN chokepoint.payments p ON p.id = a.payment_id
             WHERE p.external_ref = 'G3' AND a.action = 'decision'
            """).scalar == "[\(gg)]")
        #expect(try c.query("SELECT count(*) FROM chokepoint.audit_log WHERE action IN ('good_guy_requested', 'good_guy_added')").scalar == "2")

        // Expired: the record no longer suppresses anything.
        try c.query("UPDATE chokepoint.good_guys SET expires_at = now() - interval '1 second' WHERE id = $1", [gg])
        #expect(try c.query("SELECT count(*) FROM chokepoint.active_good_guys").scalar == "0")
        try F.insert(c, [("G4", F.mt103(ref: "G4", beneficiary: "ZORBEX HEAVY INDUSTRIES"))])
        try F.decideAll(c)
        #expect(try c.query("SELECT status FROM chokepoint.payments WHERE external_ref = 'G4'").scalar == "held")
        // The nightly rescreen (delta mode) raises the payment released under the expired record as an alert.
        let s = try await F.rescreen(db.conninfo)
        #expect(s.mode == "delta")
        #expect(try c.query("""
            SELECT string_agg(p.external_ref, ',') FROM chokepoint.retrospective_alerts a JOIN chokepoint.payments p ON p.id = a.payment_id
            """).scalar == "G3")
    }

    @Test("a good-guy record held in memory stops suppressing at its expiry, without a reload")
    func goodGuyExpiresInMemory() {
        let entry = F.zorbex
        func screener(expiresAt: Double) -> PolicyScreener {
            PolicyScreener(data: ScreeningData(lists: [.init(source: .ofacSDN, versionId: 1, entries: [entry])], indicators: IndicatorSet(),
                                               goodGuys: [.init(field: "beneficiary", matched: "ZORBEX HEAVY INDUSTRIES", list: "ofac-sdn",
                                                                entryId: "1001", id: 7, expiresAt: expiresAt)]))
        }
        let message = F.mt103(ref: "X", beneficiary: "ZORBEX HEAVY INDUSTRIES")
        let valid = screener(expiresAt: Date().timeIntervalSince1970 + 3600).screen(format: "mt103", message: message)
        #expect(valid.outcome == .release)
        #expect(valid.suppressed.map(\.goodGuyId) == [7])
        let expired = screener(expiresAt: Date().timeIntervalSince1970 - 1).screen(format: "mt103", message: message)
        #expect(expired.outcome == .hold)
        #expect(expired.suppressed.isEmpty)
    }

    // MARK: - 4. Policy settings

    @Test("policy settings are validated, changed only with four eyes, audited with old and new values and a reason")
    func policyChanges() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let (nameA, a) = try Self.login(db, "pa", "chokepoint_policy_admin")
        let (_, b) = try Self.login(db, "pb", "chokepoint_policy_admin")
        let (_, op) = try Self.login(db, "op", "chokepoint_operator")
        // Out of range: refused by the database itself, whoever writes.
        Self.refused(c, "UPDATE chokepoint.settings SET value = '2' WHERE key = 'name_match_threshold'", state: "23514")
        Self.refused(c, "INSERT INTO chokepoint.settings VALUES ('match_everything', 'true')", state: "23514")
        Self.refused(a, "SELECT chokepoint.request_policy_change('{\"kind\":\"setting\",\"key\":\"name_match_threshold\",\"value\":2}', 'loosen')",
                     state: "22023", containing: "between 0.75 and 0.97")
        Self.refused(a, "SELECT chokepoint.request_policy_change('{\"kind\":\"country_set\",\"set\":\"risk\",\"countries\":[\"R U\"]}', 'typo')",
                     state: "22023")
        // Not a policy admin, or no visible reason, or straight to the table: refused.
        Self.refused(op, "SELECT chokepoint.request_policy_change('{\"kind\":\"setting\",\"key\":\"name_match_threshold\",\"value\":0.92}', 'x')")
        Self.refused(a, "SELECT chokepoint.request_policy_change('{\"kind\":\"setting\",\"key\":\"name_match_threshold\",\"value\":0.92}', E' \\t\\u00a0')",
                     state: "22023")
        Self.refused(a, "UPDATE chokepoint.settings SET value = '0.92' WHERE key = 'name_match_threshold'")
        Self.refused(a, "DELETE FROM chokepoint.country_sets")

        let request = try a.query("""
            SELECT chokepoint.request_policy_change('{"kind":"setting","key":"name_match_threshold","value":0.92}', 'fewer false positives on short names')
            """).scalar!
        Self.refused(a, "SELECT chokepoint.apply_policy_change($1, 'me again')", [request], containing: "second policy admin")
        #expect(try c.query("SELECT value::text FROM chokepoint.settings WHERE key = 'name_match_threshold'").scalar == "0.90")
        #expect(try b.query("SELECT chokepoint.apply_policy_change($1, 'reviewed the test results')", [request]).scalar == "applied")
        #expect(try c.query("SELECT value::text FROM chokepoint.settings WHERE key = 'name_match_threshold'").scalar == "0.92")
        Self.refused(b, "SELECT chokepoint.apply_policy_change($1, 'twice')", [request], state: "55000")
        let audit = try c.query("""
            SELECT reason, detail->'old'->0->>'value', detail->'new'->0->>'value', detail->>'request_id'
              FROM chokepoint.audit_log WHERE action = 'policy_data_changed' AND detail->>'table' = 'settings'
            """).rows.map(\.values)
        #expect(audit == [["reviewed the test results (requested by \(nameA): fewer false positives on short names)", "0.90", "0.92", request]])

        // max_message_bytes is a setting like the others: it moves the CHECK on new payments.
        let big = String(repeating: "x", count: 1_100_000)
        Self.refused(c, "INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('BIG', 'mt103', $1)", [big],
                     state: "23514", containing: "payments_message_size_check")
        let raise = try a.query("SELECT chokepoint.request_policy_change('{\"kind\":\"setting\",\"key\":\"max_message_bytes\",\"value\":2097152}', 'long pacs.008 batches')").scalar!
        try b.query("SELECT chokepoint.apply_policy_change($1, 'ok')", [raise])
        try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('BIG', 'mt103', $1)", [big])
    }

    @Test("with an invalid policy in the database (a constraint bypassed) the daemon holds everything as policy_invalid")
    func invalidPolicyHoldsEverything() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try F.importList(c, [F.zorbex], tag: "v1")
        try c.query("ALTER TABLE chokepoint.settings DROP CONSTRAINT settings_value_check")
        try c.query("UPDATE chokepoint.settings SET value = '2' WHERE key = 'name_match_threshold'")
        let loaded = try ScreenerLoading.loader(logger: .init(label: "test"))(c)
        let d = loaded.screener.screen(format: "mt103", message: F.mt103(ref: "X", beneficiary: "DUPONT SARL"))
        #expect(d.outcome == .hold)
        #expect(d.reasons == ["policy_invalid"])
        #expect(d.error?.contains("name_match_threshold") == true)
        // The rescreen refuses to run with it rather than prove nothing.
        do {
            let config = RescreenConfiguration(conninfo: db.conninfo)
            _ = try Rescreener(config: config, logger: .init(label: "test")).run()
            Issue.record("rescreen ran with an invalid policy")
        } catch let e as RescreenError {
            #expect(e.description.contains("invalid"))
        }
    }

    // MARK: - 5, 6. search_path, reasons, attempts, migrate, message size

    @Test("an operator who shadows = and <> in schema public cannot help the daemon past the status guard")
    func shadowingOperators() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let admin = try db.connect()
        let (id, _) = try Self.heldByDaemon(db, admin)
        let (_, op) = try Self.login(db, "op", "chokepoint_operator")
        #expect(try op.query("SELECT chokepoint.reject_hold($1, 'confirmed')", [id]).scalar == "rejected")
        // A cluster where PUBLIC kept CREATE on public (the default before PostgreSQL 15), and a daemon login
        // whose search_path puts public first.
        try admin.query("GRANT CREATE ON SCHEMA public TO PUBLIC")
        try op.executeScript("""
            CREATE FUNCTION public.always(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
            CREATE FUNCTION public.never(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT false';
            CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.always);
            CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.never);
            """)
        let daemonRole = try db.createLoginRole(prefix: "dsp", memberOf: "chokepoint_daemon")
        try admin.query("ALTER ROLE \(daemonRole) SET search_path = public, pg_catalog")
        let d = try Connection(conninfo: db.conninfo(user: daemonRole))
        #expect(try d.query("SHOW search_path").scalar == "public, pg_catalog")
        Self.refused(d, "UPDATE chokepoint.payments SET status = 'released', decided_at = now() WHERE id = $1::bigint", [id])
        #expect(try admin.query("SELECT status FROM chokepoint.payments WHERE id = $1", [id]).scalar == "rejected")
    }

    @Test("reasons made only of blanks, tabs, newlines, NBSP or zero-width characters are refused")
    func invisibleReasons() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let admin = try db.connect()
        let (id, _) = try Self.heldByDaemon(db, admin)
        let (_, op) = try Self.login(db, "op", "chokepoint_operator")
        for reason in [" ", "\t\n", "\u{00A0}", "\u{200B}\u{200D}", "\u{FEFF}", "\u{3000}\u{2060}", "\r\n\u{00A0}\u{200B}"] {
            Self.refused(op, "SELECT chokepoint.release_hold($1, $2)", [id, reason], state: "22023")
            Self.refused(op, "SELECT chokepoint.reject_hold($1, $2)", [id, reason], state: "22023")
        }
        #expect(try op.query("SELECT chokepoint.reject_hold($1, $2)", [id, "\u{00A0}fraud confirmed"]).scalar == "rejected")
    }

    @Test("poison-message records only for pending payments that exist")
    func attemptsNeedAPayment() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let admin = try db.connect()
        let (_, d) = try Self.login(db, "dmn", "chokepoint_daemon")
        let next = try admin.query("SELECT coalesce(max(id), 0) + 5 FROM chokepoint.payments").scalar!
        Self.refused(d, "INSERT INTO chokepoint.screening_attempts (payment_id, attempts) VALUES ($1, 99)", [next], state: "23503")
        let id = try admin.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('A1', 'mt103', 'm') RETURNING id").scalar!
        #expect(try PaymentStore.noteScreeningStarted(d, ids: [Int64(id)!]) == [Int64(id)!: 1])
    }

    @Test("a worker's warm-up runs its statements as the daemon role and changes nothing")
    func warmUpChangesNothing() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let admin = try db.connect()
        let (name, d) = try Self.login(db, "dwu", "chokepoint_daemon")
        let attempts = try Connection(conninfo: db.conninfo(user: name))
        let id = try admin.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('W1', 'mt103', 'm') RETURNING id").scalar!
        let state = """
            SELECT (SELECT status FROM chokepoint.payments WHERE id = \(id)), (SELECT count(*) FROM chokepoint.audit_log),
                   (SELECT count(*) FROM chokepoint.screening_attempts), (SELECT count(*) FROM chokepoint.hits),
                   (SELECT count(*) FROM chokepoint.payment_screening_keys), (SELECT seq FROM chokepoint.audit_chain_head)
            """
        let before = try admin.query(state).rows[0]
        try PaymentStore.warmUp(d, attempts: attempts)
        let after = try admin.query(state).rows[0]
        #expect(before.string(0) == "pending")
        #expect((0..<6).map { after.string($0) } == (0..<6).map { before.string($0) })
        // The statements were really sent (prepared on each connection: the claim, the record statement and its
        // settings; the attempt record in its two forms), and both connections are outside any transaction after.
        #expect(try d.query("SELECT count(*) FROM pg_catalog.pg_prepared_statements").scalar == "3")
        #expect(try attempts.query("SELECT count(*) FROM pg_catalog.pg_prepared_statements").scalar == "2")
        #expect(!d.inTransaction && !attempts.inTransaction)
        #expect(try PaymentStore.noteScreeningStarted(attempts, ids: [Int64(id)!]) == [Int64(id)!: 1])
    }

    @Test("migrate runs without CREATEROLE once the roles exist, and revokes CREATE on public")
    func migrateWithoutCreateRole() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let admin = try db.connect()
        // The cluster-wide roles exist (a DBA made them, or another database was migrated); a DBA hands the owner
        // role to the migrator.
        try Migrator.ensureRoles(admin)
        let migrator = "mig_\(UUID().uuidString.prefix(8).lowercased())"
        try admin.query("CREATE ROLE \(migrator) LOGIN NOCREATEROLE NOSUPERUSER IN ROLE chokepoint_owner")
        try admin.query("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I OWNER TO \(migrator)', current_database()); END $$")
        try admin.query("ALTER SCHEMA public OWNER TO \(migrator)")
        try admin.query("GRANT CREATE ON SCHEMA public TO PUBLIC")
        let m = try Connection(conninfo: db.conninfo(user: migrator))
        let migrations = try Migrator(directory: TestDatabase.sqlDirectory)
        #expect(try migrations.migrateUp(m) == Array(1...Migrator.requiredVersion))
        #expect(try Migrator.harden(m).isEmpty)
        #expect(try admin.query("SELECT has_schema_privilege('public', 'public', 'CREATE')").scalar == "f")
        #expect(try admin.query("SELECT has_database_privilege('public', current_database(), 'TEMPORARY')").scalar == "f")
        // Where it may not, it says so.
        let (_, op) = try Self.login(db, "op", "chokepoint_operator")
        try admin.query("GRANT CREATE ON SCHEMA public TO PUBLIC")
        #expect(try Migrator.harden(op).count == 1)
        try Migrator.checkCurrent(m)
    }

    @Test("a claim stops at its byte budget: large messages wait for the next batch")
    func claimByBytes() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let body = String(repeating: "y", count: 900_000)
        for i in 1...6 {
            try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ($1, 'mt103', $2)", ["B\(i)", body])
        }
        try c.query("BEGIN")
        let first = try PaymentStore.claimWithGeneration(c, limit: 500, maxBytes: 2_000_000)
        #expect(first.payments.count == 3)
        #expect(first.deferred == 3)
        #expect(first.payments.allSatisfy { $0.message.utf8.count == 900_000 })
        try c.query("ROLLBACK")
        // The first message always counts in, however large.
        try c.query("BEGIN")
        let one = try PaymentStore.claimWithGeneration(c, limit: 500, maxBytes: 1024)
        #expect(one.payments.count == 1 && one.deferred == 5)
        try c.query("ROLLBACK")
    }

    // MARK: - 7. Rescreen runs shared by several hosts

    @Test("the daemon moves a rescreen's cursors, leases and status, never a range's bounds or a run's scope; operators only read; one run runs")
    func rescreenLeases() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let admin = try db.connect()
        defer { admin.close() }
        let (_, d) = try Self.login(db, "dmn", "chokepoint_daemon")
        let (_, o) = try Self.login(db, "opr", "chokepoint_operator")
        let sr = try PaymentStore.startRun(d, kind: "rescreen", host: "h", pid: 1, listVersions: "{}")
        let run = try d.query("""
            INSERT INTO chokepoint.rescreen_runs (screening_run_id, mode, max_payment_id, list_versions) VALUES ($1, 'full', 100, '{}') RETURNING id
            """, [String(sr)]).scalar!
        try d.query("INSERT INTO chokepoint.rescreen_ranges (run_id, range_no, first_id, last_id, cursor_id) VALUES ($1, 1, 0, 100, 0)", [run])
        // What a rescreen process does: take the range under a lease, move its cursor, finish the run.
        try d.query("""
            UPDATE chokepoint.rescreen_ranges SET lease_holder = 'h:1', lease_expires_at = now() + interval '30 seconds',
                   lease_count = lease_count + 1, cursor_id = 50, payments_screened = 50 WHERE run_id = $1
            """, [run])
        Self.refused(d, "UPDATE chokepoint.rescreen_ranges SET last_id = 10 WHERE run_id = $1", [run])
        Self.refused(d, "UPDATE chokepoint.rescreen_runs SET max_payment_id = 1 WHERE id = $1", [run])
        Self.refused(d, "UPDATE chokepoint.rescreen_runs SET list_versions = '{\"ofac-sdn\": 1}' WHERE id = $1", [run])
        Self.refused(d, "DELETE FROM chokepoint.rescreen_ranges WHERE run_id = $1", [run])
        Self.refused(d, "DELETE FROM chokepoint.rescreen_runs WHERE id = $1", [run])
        Self.refused(o, "UPDATE chokepoint.rescreen_ranges SET lease_holder = 'x:2', lease_expires_at = now() WHERE run_id = $1", [run])
        Self.refused(o, "UPDATE chokepoint.rescreen_runs SET status = 'failed', finished_at = now() WHERE id = $1", [run])
        Self.refused(o, "INSERT INTO chokepoint.rescreen_ranges (run_id, range_no, first_id, last_id, cursor_id) VALUES ($1, 2, 0, 1, 0)", [run])
        #expect(try o.query("SELECT lease_holder FROM chokepoint.rescreen_ranges WHERE run_id = $1", [run]).scalar == "h:1")
        // A lease names its holder and its expiry together.
        Self.refused(d, "UPDATE chokepoint.rescreen_ranges SET lease_expires_at = NULL WHERE run_id = $1", [run], state: "23514",
                     containing: "rescreen_ranges_lease_check")
        // A second running run is refused, whoever tries: two different runs never work side by side.
        Self.refused(d, """
            INSERT INTO chokepoint.rescreen_runs (screening_run_id, mode, max_payment_id, list_versions) VALUES ($1, 'full', 100, '{}')
            """, [String(sr)], state: PostgresError.uniqueViolation, containing: "rescreen_runs_one_running")
        try d.query("UPDATE chokepoint.rescreen_runs SET status = 'finished', finished_at = now(), finished_by = 'h:1' WHERE id = $1", [run])
        try d.query("""
            INSERT INTO chokepoint.rescreen_runs (screening_run_id, mode, max_payment_id, list_versions) VALUES ($1, 'full', 100, '{}')
            """, [String(sr)])
        d.close()
        o.close()
    }
}
