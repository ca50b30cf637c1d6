import Foundation
import IntegrationSupport
import Postgres
import Store
import TestSupport
import Testing
import Watchlists

/// The diff of every list version (`list_changes`) and the fetch status (`list_fetch_status`), used and attacked as each role.
@Suite("list diffs and fetch status in SQL", .enabled(if: TestDatabase.enabled))
struct ListChangesTests {
    typealias S = SecurityTests

    @Test("every import records what it added, removed and changed, names and identifiers included")
    func diffOfEachImport() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let v1 = try ListFixtures.importSDN(c, more: ["GONE TOMORROW LLC"]).versionId
        #expect(try c.query("SELECT previous_version_id FROM chokepoint.list_versions WHERE id = $1", [String(v1)]).scalar == nil)
        #expect(try c.query("SELECT count(*) FROM chokepoint.list_changes").scalar == "0")
        #expect(try ListChanges.diff(c, source: "ofac-sdn", versionId: nil)?.previousVersionId == nil)

        // Version 2: entry 1003 renamed, with a new identifier and without its BIC; 1004 added; 2000 removed; the rest as before.
        var files = ListFixtures.sdn(extraEntity: "NEW HORIZON SHIPPING LLC")
        let sdn = String(decoding: files[0].bytes, as: UTF8.self)
            .replacingOccurrences(of: "\"GOLDEN HORIZON TRADING FZE\"", with: "\"GOLDEN HORIZON GENERAL TRADING FZE\"")
            .replacingOccurrences(of: "SWIFT/BIC GHTRAEAD; ", with: "IMO 9074729; ")
        files[0] = ListFile(name: "sdn.csv", text: sdn)
        let v2 = try ListStore.importList(c, parsed: ListParser.parse(source: .ofacSDN, contents: files), files: files, maxShrink: nil).versionId
        #expect(try c.query("SELECT previous_version_id FROM chokepoint.list_versions WHERE id = $1", [String(v2)]).scalar == String(v1))
        let diff = try #require(try ListChanges.diff(c, source: "ofac-sdn", versionId: nil))
        #expect(diff.versionId == v2 && diff.previousVersionId == v1)
        #expect(diff.changes.map { [$0.change, $0.sourceId] } == [["added", "1004"], ["removed", "2000"], ["changed", "1003"]])
        let changed = diff.changes[2]
        #expect(changed.primaryName == "GOLDEN HORIZON GENERAL TRADING FZE")
        #expect(changed.previousName == "GOLDEN HORIZON TRADING FZE")
        #expect(changed.namesAdded == ["GOLDEN HORIZON GENERAL TRADING FZE"])
        #expect(changed.namesRemoved == ["GOLDEN HORIZON TRADING FZE"])
        #expect(changed.identifiersRemoved == ["BIC GHTRAEAD"])
        #expect(changed.identifiersAdded.count == 1 && changed.identifiersAdded[0].hasSuffix("9074729"), "\(changed.identifiersAdded)")
        #expect(diff.changes[1].primaryName == "GONE TOMORROW LLC")
        // A version asked for by id; a byte-identical re-import adds no version and no changes.
        #expect(try ListChanges.diff(c, source: "ofac-sdn", versionId: v1)?.changes.isEmpty == true)
        #expect(try ListChanges.diff(c, source: "ofac-sdn", versionId: 999_999) == nil)
        #expect(try ListStore.importList(c, parsed: ListParser.parse(source: .ofacSDN, contents: files), files: files).unchanged)
        #expect(try c.query("SELECT count(*) FROM chokepoint.list_changes").scalar == "3")
        // A refused import (the shrink guard) records nothing.
        let small = [ListFile(name: "sdn.csv", text: "1001,\"VOLGA PRECISION INSTRUMENTS LLC\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n")]
        #expect(throws: ListStore.ShrinkRefused.self) {
            try ListStore.importList(c, parsed: ListParser.parse(source: .ofacSDN, contents: small), files: small)
        }
        #expect(try c.query("SELECT count(*) FROM chokepoint.list_changes").scalar == "3")
        // Deleting a version (a DBA pruning history) takes its diff with it and leaves the next version's link empty.
        try c.query("UPDATE chokepoint.list_versions SET is_current = false WHERE id = $1", [String(v2)])
        try c.query("DELETE FROM chokepoint.list_versions WHERE id = $1", [String(v1)])
        #expect(try c.query("SELECT previous_version_id FROM chokepoint.list_versions WHERE id = $1", [String(v2)]).scalar == nil)
    }

    @Test("operators read diffs and fetch status, the daemon only the fetch status; nobody but the owner writes them")
    func privileges() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let admin = try db.connect()
        let v1 = try ListFixtures.importSDN(admin).versionId
        _ = try ListFixtures.importSDN(admin, extraEntity: "NEW HORIZON SHIPPING LLC")
        try ListFetchStatus.recordFailure(admin, source: "ofac-sdn", error: "HTTP 404")
        try ListFetchStatus.recordSuccess(admin, source: "eu", outcome: "imported", versionId: v1, validators: [:])

        let (_, op) = try S.login(db, "op", "chokepoint_operator")
        #expect(try op.query("SELECT change, source_id FROM chokepoint.list_changes").rows.map(\.values) == [["added", "1004"]])
        #expect(try op.query("SELECT last_outcome, last_error FROM chokepoint.list_fetch_status WHERE source = 'ofac-sdn'").rows[0].values
                    == ["failed", "HTTP 404"])
        let (_, daemon) = try S.login(db, "dmn", "chokepoint_daemon")
        #expect(try daemon.query("SELECT count(*) FROM chokepoint.list_fetch_status").scalar == "2")
        // What the daemon's metrics probe reads, as the daemon.
        #expect(try ListStore.status(daemon).map(\.source) == ["ofac-sdn"])
        S.refused(daemon, "SELECT * FROM chokepoint.list_changes")

        for (prefix, role) in [("sub", "chokepoint_submitter"), ("aud", "chokepoint_auditor"), ("pol", "chokepoint_policy_admin")] {
            let (_, c) = try S.login(db, prefix, role)
            S.refused(c, "SELECT * FROM chokepoint.list_changes")
            S.refused(c, "SELECT * FROM chokepoint.list_fetch_status")
        }
        for (prefix, role) in [("op", "chokepoint_operator"), ("dmn", "chokepoint_daemon"), ("pol", "chokepoint_policy_admin")] {
            let (_, c) = try S.login(db, prefix, role)
            S.refused(c, "INSERT INTO chokepoint.list_changes (version_id, source, change, source_id, entry_type, primary_name) VALUES ($1, 'ofac-sdn', 'removed', '1001', 'entity', 'X')",
                      [String(v1)])
            S.refused(c, "DELETE FROM chokepoint.list_changes")
            S.refused(c, "UPDATE chokepoint.list_changes SET primary_name = 'X'")
            S.refused(c, "UPDATE chokepoint.list_fetch_status SET last_outcome = 'imported', last_error = NULL, last_error_at = NULL")
            S.refused(c, "INSERT INTO chokepoint.list_fetch_status (source, last_attempt_at, last_outcome) VALUES ('un', now(), 'imported')")
            S.refused(c, "DELETE FROM chokepoint.list_fetch_status")
            S.refused(c, "UPDATE chokepoint.list_versions SET previous_version_id = NULL")
        }
        #expect(try admin.query("SELECT count(*) FROM chokepoint.list_changes").scalar == "1")
        #expect(try admin.query("SELECT last_outcome FROM chokepoint.list_fetch_status WHERE source = 'ofac-sdn'").scalar == "failed")
    }

    @Test("the fetch status keeps its rules: known sources, outcomes, an error with every failure")
    func fetchStatusConstraints() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        S.refused(c, "INSERT INTO chokepoint.list_fetch_status (source, last_attempt_at, last_outcome) VALUES ('indicators', now(), 'imported')",
                  state: "23514")
        S.refused(c, "INSERT INTO chokepoint.list_fetch_status (source, last_attempt_at, last_outcome) VALUES ('un', now(), 'skipped')", state: "23514")
        S.refused(c, "INSERT INTO chokepoint.list_fetch_status (source, last_attempt_at, last_outcome) VALUES ('un', now(), 'failed')", state: "23514")
        S.refused(c, "INSERT INTO chokepoint.list_fetch_status (source, last_attempt_at, last_outcome, last_error) VALUES ('un', now(), 'imported', 'x')",
                  state: "23514")
        S.refused(c, "INSERT INTO chokepoint.list_changes (version_id, source, change, source_id, entry_type, primary_name) VALUES (1, 'un', 'renamed', '1', 'entity', 'X')",
                  state: "23514")
        // A failure after a success keeps the last success; a success after a failure keeps the error and its time.
        try ListFetchStatus.recordFailure(c, source: "un", error: "timed out")
        #expect(try ListFetchStatus.all(c).first?.lastSuccessAt == nil)
        let v = try ListFixtures.importSDN(c).versionId
        try ListFetchStatus.recordSuccess(c, source: "un", outcome: "not_modified", versionId: v,
                                          validators: ["https://x.example/un.xml": .init(etag: "\"e1\"", lastModified: nil)])
        let row = try #require(try ListFetchStatus.all(c).first)
        #expect(row.outcome == "not_modified" && row.lastError == "timed out" && row.lastSuccessAt != nil)
        // Validators are offered only while their version is in force (here: ofac-sdn's version, not un's).
        #expect(try ListFetchStatus.validators(c, source: "un") == ["https://x.example/un.xml": .init(etag: "\"e1\"", lastModified: nil)])
        _ = try ListFixtures.importSDN(c, extraEntity: "SOMEONE ELSE LLC")
        #expect(try ListFetchStatus.validators(c, source: "un").isEmpty)
    }
}
