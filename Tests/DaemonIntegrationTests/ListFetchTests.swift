import FetchConfig
import Foundation
import IntegrationSupport
import ListFetch
import Postgres
import Store
import TestSupport
import Testing
import Watchlists
#if canImport(Glibc)
import Glibc
#endif

/// A list publisher on loopback: `Tests/Fixtures/list-server.py` (Python's standard library) serving a folder.
final class ListServer {
    let root: URL
    let log: URL
    let port: Int
    let scheme: String
    private let process: Process

    /// `tls`: serve https with a self-signed certificate made for the test (which the fetcher must refuse).
    init(tls: Bool = false) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("list-server-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        log = root.appendingPathComponent("requests.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        var tlsArguments: [String] = []
        if tls {
            let cert = root.appendingPathComponent("cert.pem").path, key = root.appendingPathComponent("key.pem").path
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                                 "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            tlsArguments = ["--tls-cert", cert, "--tls-key", key]
        }
        scheme = tls ? "https" : "http"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestDatabase.packageRoot + "/Tests/Fixtures/list-server.py", "--root", root.path, "--log", log.path]
            + tlsArguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // The script prints its port once it listens.
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw FetchError("the test list server did not start")
        }
        self.port = port
    }

    deinit {
        // SIGKILL: a child of a test process may inherit a mask that blocks SIGTERM (the script unblocks it too).
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: root)
    }

    func url(_ path: String) -> String { "\(scheme)://127.0.0.1:\(port)/\(path)" }

    func put(_ files: [ListFile]) throws {
        for f in files { try Data(f.bytes).write(to: root.appendingPathComponent(f.name)) }
    }

    /// The requests seen so far: path, whether in proxy form, and the conditional headers.
    func requests() throws -> [(path: String, proxied: Bool, ifNoneMatch: String?)] {
        try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (o["path"] as! String, o["proxied"] as! Bool, o["if_none_match"] as? String)
        }
    }
}

@Suite("lists fetch against a local HTTP server", .enabled(if: TestDatabase.enabled))
struct ListFetchTests {
    static let known = ListSource.allCases.filter { $0 != .indicators }.map(\.rawValue)

    /// An `ofac-sdn` source of the two files `sdn.csv` and `alt.csv` under `prefix` on the server.
    static func source(_ server: ListServer, prefix: String = "", extra: String = "") throws -> FetchConfig.Source {
        let config = try FetchConfig.parse("""
            [sources.ofac-sdn]
            files = [{ url = "\(server.url(prefix + "sdn.csv"))" }, { url = "\(server.url("alt.csv"))" }]
            timeout_seconds = 2
            \(extra)
            """, file: "test.toml", knownSources: known)
        return config.sources[0]
    }

    static func current(_ c: Connection) throws -> String? {
        try c.query("SELECT id FROM chokepoint.list_versions WHERE source = 'ofac-sdn' AND is_current").scalar
    }

    static func fetchStatus(_ c: Connection) throws -> [String?] {
        try c.query("SELECT last_outcome, last_error, (last_success_at IS NOT NULL)::text FROM chokepoint.list_fetch_status WHERE source = 'ofac-sdn'")
            .rows.first?.values ?? []
    }

    /// Fetches and expects a failure whose message contains `containing`; the version in force must not move.
    static func refused(_ source: FetchConfig.Source, _ c: Connection, containing: String, allowShrink: Bool = false,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try current(c)
        do {
            let outcome = try ListFetcher.fetch(source, c, allowShrink: allowShrink)
            Issue.record("fetched: \(outcome)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.message.contains(containing), "\(error.message)", sourceLocation: sourceLocation)
            let status = try fetchStatus(c)
            #expect(status.first == "failed", sourceLocation: sourceLocation)
            #expect(status.count > 1 && status[1]?.contains(containing) == true, "\(status)", sourceLocation: sourceLocation)
        }
        #expect(try current(c) == before, "the version in force changed", sourceLocation: sourceLocation)
    }

    @Test("200 imports, a second run sends If-None-Match and gets 304, a changed file is a new version with its diff")
    func conditionalGet() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let server = try ListServer()
        try server.put(ListFixtures.sdn())
        let source = try Self.source(server)

        guard case .imported(let v1, let entries, _, _, _, _) = try ListFetcher.fetch(source, c) else {
            Issue.record("not imported")
            return
        }
        #expect(entries == 3)
        #expect(try Self.fetchStatus(c) == ["imported", nil, "true"])
        #expect(try ListFetcher.fetch(source, c) == .notModified(versionId: v1))
        let requests = try server.requests()
        #expect(requests.count == 4)
        #expect(requests.prefix(2).allSatisfy { $0.ifNoneMatch == nil })
        #expect(requests.suffix(2).allSatisfy { $0.ifNoneMatch != nil }, "the second run was not conditional")
        #expect(try Self.fetchStatus(c).first == "not_modified")
        #expect(try c.query("SELECT count(*) FROM chokepoint.list_versions WHERE source = 'ofac-sdn'").scalar == "1")

        // One more entry in sdn.csv: alt.csv still answers 304, so it is fetched again in full and both are imported.
        try server.put(ListFixtures.sdn(extraEntity: "NEW HORIZON SHIPPING LLC"))
        guard case .imported(let v2, 4, 1, 0, 0, _) = try ListFetcher.fetch(source, c) else {
            Issue.record("the changed file was not imported with one entry added")
            return
        }
        #expect(v2 != v1)
        #expect(try c.query("SELECT change, source_id, primary_name FROM chokepoint.list_changes WHERE version_id = $1", [String(v2)])
                    .rows.map(\.values) == [["added", "1004", "NEW HORIZON SHIPPING LLC"]])
        #expect(try server.requests().suffix(3).map(\.path) == ["/sdn.csv", "/alt.csv", "/alt.csv"])
    }

    @Test("a byte-identical file (imported by hand before, so nothing to send conditionally) is not imported again")
    func byteIdentical() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let v1 = try ListFixtures.importSDN(c).versionId
        let server = try ListServer()
        try server.put(ListFixtures.sdn())
        #expect(try ListFetcher.fetch(try Self.source(server), c) == .unchanged(versionId: v1))
        #expect(try server.requests().allSatisfy { $0.ifNoneMatch == nil })
        #expect(try c.query("SELECT count(*) FROM chokepoint.list_versions WHERE source = 'ofac-sdn'").scalar == "1")
        #expect(try Self.fetchStatus(c).first == "unchanged")
        // The list is confirmed current: its age counts from now, not from the import three days ago.
        try withTriggersOff(c, "UPDATE chokepoint.list_versions SET loaded_at = now() - interval '3 days'")
        #expect(try ListStore.status(c).first { $0.source == "ofac-sdn" }!.ageHours < 1)
        try c.query("UPDATE chokepoint.list_fetch_status SET last_success_at = now() - interval '2 days'")
        #expect(try ListStore.status(c).first { $0.source == "ofac-sdn" }!.ageHours > 47)
    }

    @Test("404, a timeout, a truncated body and an over-size file (announced or sent in chunks) fail, keep the version in force and are recorded")
    func transportFailures() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let v1 = try ListFixtures.importSDN(c).versionId
        let server = try ListServer()
        try server.put(ListFixtures.sdn(extraEntity: "SOMETHING NEW LLC"))

        try Self.refused(try Self.source(server, prefix: "status/404/"), c, containing: "HTTP 404")
        let started = Date()
        try Self.refused(try Self.source(server, prefix: "slow/"), c, containing: "timed out")
        #expect(Date().timeIntervalSince(started) < 15)
        try Self.refused(try Self.source(server, prefix: "truncated/"), c, containing: "truncated")
        try Self.refused(try Self.source(server, extra: "max_bytes = 100"), c, containing: "over the limit of 100 bytes")
        // Without a Content-Length to refuse up front, the limit holds while the body arrives.
        try Self.refused(try Self.source(server, prefix: "chunked/", extra: "max_bytes = 100"), c, containing: "over the limit of 100 bytes")
        #expect(try Self.current(c) == String(v1))

        // The next good fetch clears the failure but keeps the last error and its time.
        guard case .imported = try ListFetcher.fetch(try Self.source(server), c) else {
            Issue.record("not imported")
            return
        }
        let status = try Self.fetchStatus(c)
        #expect(status.first == "imported")
        #expect(status[1]?.contains("over the limit") == true)
    }

    @Test("a file that shrank is refused by the shrink guard unless allowed; the diff then lists what was removed")
    func shrinkGuard() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let many = (1...30).map { "TRADING HOUSE NUMBER \($0) LLC" }
        let v1 = try ListFixtures.importSDN(c, more: many).versionId
        let server = try ListServer()
        try server.put(ListFixtures.sdn(more: Array(many.prefix(20))))
        let source = try Self.source(server)
        try Self.refused(source, c, containing: "shrink guard")
        #expect(try Self.current(c) == String(v1))
        guard case .imported(let v2, 23, 0, 10, 0, _) = try ListFetcher.fetch(source, c, allowShrink: true) else {
            Issue.record("not imported with --allow-shrink")
            return
        }
        #expect(try c.query("SELECT count(*) FROM chokepoint.list_changes WHERE version_id = $1 AND change = 'removed'", [String(v2)]).scalar == "10")
    }

    @Test("a checksum mismatch is refused; a matching pinned sha256 or checksum_url is accepted")
    func checksums() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let v1 = try ListFixtures.importSDN(c).versionId
        let server = try ListServer()
        let files = ListFixtures.sdn(extraEntity: "CHECKED TRADING LLC")
        try server.put(files)
        let good = SHA256.hex(files[0].bytes)
        let wrong = String(repeating: "0", count: 64)
        func source(_ check: String) throws -> FetchConfig.Source {
            let config = try FetchConfig.parse("""
                [sources.ofac-sdn]
                files = [{ url = "\(server.url("sdn.csv"))", \(check) }, { url = "\(server.url("alt.csv"))" }]
                """, file: "test.toml", knownSources: Self.known)
            return config.sources[0]
        }
        try Self.refused(try source("sha256 = \"\(wrong)\""), c, containing: "checksum mismatch")
        try "\(wrong)  sdn.csv\n".write(to: server.root.appendingPathComponent("sdn.csv.sha256"), atomically: true, encoding: .utf8)
        try Self.refused(try source("checksum_url = \"\(server.url("sdn.csv.sha256"))\""), c, containing: "checksum mismatch")
        try Self.refused(try source("checksum_url = \"\(server.url("alt.csv"))\""), c, containing: "no SHA-256 found")
        #expect(try Self.current(c) == String(v1))
        try "\(good)  sdn.csv\n".write(to: server.root.appendingPathComponent("sdn.csv.sha256"), atomically: true, encoding: .utf8)
        guard case .imported = try ListFetcher.fetch(try source("checksum_url = \"\(server.url("sdn.csv.sha256"))\""), c) else {
            Issue.record("a matching checksum file was refused")
            return
        }
        try server.put(ListFixtures.sdn(extraEntity: "CHECKED AGAIN LLC"))
        try Self.refused(try source("sha256 = \"\(good)\""), c, containing: "checksum mismatch")
    }

    @Test("TLS is verified: a server whose certificate is not trusted is refused")
    func untrustedCertificate() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let v1 = try ListFixtures.importSDN(c).versionId
        let server = try ListServer(tls: true)
        try server.put(ListFixtures.sdn(extraEntity: "UNVERIFIED TRADING LLC"))
        let source = try Self.source(server)
        #expect(source.files[0].url.scheme == "https")
        do {
            let outcome = try ListFetcher.fetch(source, c)
            Issue.record("fetched from an untrusted server: \(outcome)")
        } catch {
            #expect(error.message.contains(server.url("sdn.csv")), "\(error.message)")
        }
        #expect(try Self.current(c) == String(v1))
        #expect(try Self.fetchStatus(c).first == "failed")
        #expect(try server.requests().isEmpty, "a request went through despite the certificate")
    }

    @Test("a parse error fails and keeps the version in force")
    func parseError() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let v1 = try ListFixtures.importSDN(c).versionId
        let server = try ListServer()
        try server.put([ListFile(name: "sdn.csv", text: "this is not, \"an OFAC file\n"), ListFixtures.sdn()[1]])
        try Self.refused(try Self.source(server), c, containing: "refused")
        #expect(try Self.current(c) == String(v1))
    }
}

@Suite("the lists fetch, status and diff commands", .enabled(if: TestDatabase.enabled), .serialized)
struct ListFetchCLITests {
    @Test("lists fetch through a configured proxy; failures exit 1 and show in lists status; lists diff shows the changes")
    func commands() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let server = try ListServer()
        try server.put(ListFixtures.sdn())
        let dir = server.root
        let config = dir.appendingPathComponent("lists.toml").path
        try Data(#"{"id": "os-1", "schema": "Company", "caption": "OPEN LISTED LLC", "properties": {"name": ["OPEN LISTED LLC"]}, "target": true}"#.utf8)
            .write(to: dir.appendingPathComponent("entities.ftm.json"))
        // Nothing listens on port 1: the files arrive only if the request went through the proxy (the server).
        // opensanctions, fetched after ofac-sdn, has no proxy: ofac-sdn's must not linger.
        try """
            [sources.ofac-sdn]
            proxy = "http://127.0.0.1:\(server.port)"
            files = [{ url = "http://127.0.0.1:1/sdn.csv" }, { url = "http://127.0.0.1:1/alt.csv" }]
            [sources.opensanctions]
            url = "\(server.url("entities.ftm.json"))"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let first = try CLI.run(["lists", "fetch", "--config", config], database: db.conninfo)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("ofac-sdn: version") && first.stdout.contains("3 entries"), "\(first.stdout)")
        #expect(first.stdout.contains("opensanctions: version") && first.stdout.contains("1 entries"), "\(first.stdout)")
        #expect(try server.requests().map { "\($0.path) \($0.proxied)" } == ["/sdn.csv true", "/alt.csv true", "/entities.ftm.json false"])
        let again = try CLI.run(["lists", "fetch", "--config", config, "--source", "ofac-sdn"], database: db.conninfo)
        #expect(again.status == 0)
        #expect(again.stdout.contains("not modified"), "\(again.stdout)")

        try server.put(ListFixtures.sdn(extraEntity: "FRESHLY LISTED LLC"))
        try """
            [sources.ofac-sdn]
            files = [{ url = "\(server.url("status/500/sdn.csv"))" }, { url = "\(server.url("alt.csv"))" }]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let failed = try CLI.run(["lists", "fetch", "--config", config], database: db.conninfo)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("ofac-sdn: fetch failed, the version in force stays") && failed.stderr.contains("HTTP 500"), "\(failed.stderr)")
        let status = try CLI.run(["lists", "status"], database: db.conninfo)
        #expect(status.stdout.contains("FAILED"), "\(status.stdout)")
        #expect(status.stdout.contains("ofac-sdn: last fetch error 0.0 h ago (the last fetch)"), "\(status.stdout)")
        let json = try CLI.run(["lists", "status", "--json"], database: db.conninfo)
        #expect(json.stdout.contains("\"last_fetch_outcome\":\"failed\"") && json.stdout.contains("HTTP 500"), "\(json.stdout)")

        try """
            [sources.ofac-sdn]
            files = [{ url = "\(server.url("sdn.csv"))" }, { url = "\(server.url("alt.csv"))" }]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let fixed = try CLI.run(["lists", "fetch", "--config", config, "--source", "ofac-sdn"], database: db.conninfo)
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(fixed.stdout.contains("1 added, 0 removed, 0 changed"), "\(fixed.stdout)")
        let diff = try CLI.run(["lists", "diff", "ofac-sdn"], database: db.conninfo)
        #expect(diff.status == 0)
        #expect(diff.stdout.contains("1 added, 0 removed, 0 changed"), "\(diff.stdout)")
        #expect(diff.stdout.contains("+ 1004  entity  FRESHLY LISTED LLC"), "\(diff.stdout)")
        let first1 = try db.connect().query("SELECT min(id) FROM chokepoint.list_versions WHERE source = 'ofac-sdn'").scalar!
        let firstDiff = try CLI.run(["lists", "diff", "ofac-sdn", first1], database: db.conninfo)
        #expect(firstDiff.stdout.contains("first version of its source"), "\(firstDiff.stdout)")

        // A config the command cannot use: exit 5, naming the file and the key.
        try "[sources.ofac-sdn]\nurl = \"http://lists.example/sdn.csv\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["lists", "fetch", "--config", config], database: db.conninfo)
        #expect(bad.status == 5)
        #expect(bad.stderr.contains("lists.toml:1: sources.ofac-sdn.url") && bad.stderr.contains("plain http"), "\(bad.stderr)")
        let unknown = try CLI.run(["lists", "fetch", "--config", config + ".missing"], database: db.conninfo)
        #expect(unknown.status == 5)
        // FoundationNetworking's switch for turning certificate verification off is refused, not obeyed.
        try "[sources.ofac-sdn]\nurl = \"\(server.url("sdn.csv"))\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let insecure = try CLI.run(["lists", "fetch", "--config", config], database: db.conninfo,
                                   environment: ["URLSessionCertificateAuthorityInfoFile": "INSECURE_SSL_NO_VERIFY"])
        #expect(insecure.status == 1)
        #expect(insecure.stderr.contains("would turn TLS certificate verification off"), "\(insecure.stderr)")
    }
}
