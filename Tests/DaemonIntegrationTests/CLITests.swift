import Foundation
import IntegrationSupport
import Postgres
import Store
import TestSupport
import Testing
import Watchlists
#if canImport(Glibc)
import Glibc
#endif

@Suite("the chokepoint command line", .enabled(if: TestDatabase.enabled), .serialized)
struct CLITests {
    @Test("migrate is safe to run twice; run refuses an unmigrated database with exit code 4")
    func migrate() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let first = try CLI.run(["migrate"], database: db.conninfo)
        #expect(first.status == 0)
        #expect(first.stdout.contains("applied migrations 1, 2, 3"))
        #expect(first.stdout.contains("default end-use indicators"))
        let second = try CLI.run(["migrate"], database: db.conninfo)
        #expect(second.status == 0)
        #expect(second.stdout.contains("up to date"))
        let empty = try TestDatabase.create(migrated: false)
        defer { empty.drop() }
        let refused = try CLI.run(["run"], database: empty.conninfo)
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("chokepoint migrate"))
    }

    @Test("console refuses a half-configured certificate login, a short proxy secret, a bad map, a password in the URL")
    func consoleCertificateOptions() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-cert-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let map = dir.appendingPathComponent("map").path, badMap = dir.appendingPathComponent("bad-map").path
        let secret = dir.appendingPathComponent("secret").path, short = dir.appendingPathComponent("short").path
        try "jane CN=Jane Doe,O=Example Bank\n".write(toFile: map, atomically: true, encoding: .utf8)
        try "jane CN=Jane\njohn CN=Jane\n".write(toFile: badMap, atomically: true, encoding: .utf8)
        try String(repeating: "k", count: 40).write(toFile: secret, atomically: true, encoding: .utf8)
        try "too-short\n".write(toFile: short, atomically: true, encoding: .utf8)
        let url = "postgresql:///chokepoint?host=/nonexistent"
        let cases: [([String], String)] = [
            (["--certificate-map", map], "--certificate-map and --proxy-secret-file go together"),
            (["--certificate-only"], "--certificate-only needs --certificate-map"),
            (["--certificate-map", map, "--proxy-secret-file", short], "at least 32 visible ASCII characters"),
            (["--certificate-map", badMap, "--proxy-secret-file", secret], "certificate map line 2: the subject is already mapped to jane"),
            (["--certificate-map", map + ".missing", "--proxy-secret-file", secret], "cannot read the certificate map"),
            (["--certificate-map", map, "--proxy-secret-file", secret, "--proxy-secret-header", "X Bad"], "is not a header name"),
        ]
        for (args, words) in cases {
            let r = try CLI.run(["console", "--port", "1"] + args, database: url)
            #expect(r.status != 0, "\(args)")
            #expect(r.stderr.contains(words), "\(args): \(r.stderr)")
        }
        let withPassword = try CLI.run(["console", "--port", "1", "--certificate-map", map, "--proxy-secret-file", secret],
                                       database: "postgresql://jane:pw@localhost/chokepoint")
        #expect(withPassword.status != 0)
        #expect(withPassword.stderr.contains("must not carry a password"), "\(withPassword.stderr)")
    }

    @Test("lists import reports counts, knows an unchanged file, refuses a malformed one and keeps the old version")
    func listsImport() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("banks.csv").path
        try "bic,name\nLENDRUMM,LENDER BANK PJSC\nOTHRRUMM,OTHER BANK AO\n".write(toFile: good, atomically: true, encoding: .utf8)
        let bad = dir.appendingPathComponent("bad.csv").path
        try "nothing,useful\n1,2\n".write(toFile: bad, atomically: true, encoding: .utf8)

        let r1 = try CLI.run(["lists", "import", "--source", "banks", good], database: db.conninfo)
        #expect(r1.status == 0)
        #expect(r1.stdout.contains("2 entries"))
        let r2 = try CLI.run(["lists", "import", "--source", "banks", good], database: db.conninfo)
        #expect(r2.stdout.contains("unchanged"))
        let r3 = try CLI.run(["lists", "import", "--source", "banks", bad], database: db.conninfo)
        #expect(r3.status == 5)
        #expect(r3.stderr.contains("bad.csv"))
        let r4 = try CLI.run(["lists", "import", "--source", "nonsense", good], database: db.conninfo)
        #expect(r4.status == 64)  // usage errors: EX_USAGE, as `chokepoint --help` and the README say
        let status = try CLI.run(["lists", "status", "--json"], database: db.conninfo)
        #expect(status.status == 0)
        #expect(status.stdout.contains("\"entries\":2"))
        #expect(status.stdout.contains("\"source\":\"banks\""))
        // The shrink guard: one bank instead of two (50 % fewer) is refused unless allowed.
        let half = dir.appendingPathComponent("banks-half.csv").path
        try "bic,name\nLENDRUMM,LENDER BANK PJSC\n".write(toFile: half, atomically: true, encoding: .utf8)
        let r5 = try CLI.run(["lists", "import", "--source", "banks", half], database: db.conninfo)
        #expect(r5.status == 5)
        #expect(r5.stderr.contains("50.0 % fewer") && r5.stderr.contains("--allow-shrink"), "\(r5.stderr)")
        #expect(try CLI.run(["lists", "import", "--source", "banks", "--max-shrink", "60", half], database: db.conninfo).status == 0)
        let r6 = try CLI.run(["lists", "import", "--source", "banks", good], database: db.conninfo)
        #expect(r6.status == 0)
        let r7 = try CLI.run(["lists", "import", "--source", "banks", "--allow-shrink", half], database: db.conninfo)
        #expect(r7.status == 0)
        #expect(r7.stdout.contains("1 entries"))
        // Consolidated files under ofac-sdn are refused, naming the right source.
        let cons = dir.appendingPathComponent("cons_prim.csv").path
        try "9001,\"ORION CAPITAL MARKETS JSC\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n".write(toFile: cons, atomically: true, encoding: .utf8)
        let r8 = try CLI.run(["lists", "import", "--source", "ofac-sdn", cons], database: db.conninfo)
        #expect(r8.status == 5)
        #expect(r8.stderr.contains("--source ofac-cons"))
        #expect(try CLI.run(["lists", "import", "--source", "ofac-cons", cons], database: db.conninfo).status == 0)
    }

    @Test("lists import --source indicators needs a reason and a second policy admin")
    func indicatorsImportNeedsFourEyes() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try ListStore.installDefaultIndicatorsIfMissing(c)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ind-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var set = DefaultIndicators.set
        set.countrySets["transshipment"]?.removeAll { $0 == "KZ" }
        let file = dir.appendingPathComponent("indicators.csv").path
        try IndicatorsFile.render(set).write(toFile: file, atomically: true, encoding: .utf8)
        let a = try db.createLoginRole(prefix: "pa", memberOf: "chokepoint_policy_admin")
        let b = try db.createLoginRole(prefix: "pb", memberOf: "chokepoint_policy_admin")
        let op = try db.createLoginRole(prefix: "op", memberOf: "chokepoint_operator")
        func kz() throws -> String? { try c.query("SELECT count(*) FROM chokepoint.country_sets WHERE set_name = 'transshipment' AND country = 'KZ'").scalar }

        let noReason = try CLI.run(["lists", "import", "--source", "indicators", file], database: db.conninfo(user: a))
        #expect(noReason.status == 64 && noReason.stderr.contains("--reason"))
        #expect(try CLI.run(["lists", "import", "--source", "indicators", "--reason", "x", file], database: db.conninfo(user: op)).status == 1)
        let requested = try CLI.run(["lists", "import", "--source", "indicators", "--reason", "we are a Kazakh bank", file], database: db.conninfo(user: a))
        #expect(requested.status == 0, "\(requested.stderr)")
        #expect(requested.stdout.contains("change request"))
        #expect(try kz() == "1")
        let id = try c.query("SELECT id FROM chokepoint.policy_change_requests WHERE status = 'requested'").scalar!
        let applier = try Connection(conninfo: db.conninfo(user: b))
        #expect(try applier.query("SELECT chokepoint.apply_policy_change($1, 'agreed')", [id]).scalar == "applied")
        #expect(try kz() == "0")
        #expect(try c.query("SELECT loaded_by || ' ' || array_to_string(files, ',') FROM chokepoint.list_versions WHERE source = 'indicators' AND is_current").scalar
                == "\(a) indicators.csv")
        #expect(try ListStore.loadScreeningData(c).indicators.hsCodes.count == set.hsCodes.count)
        let again = try CLI.run(["lists", "import", "--source", "indicators", "--reason", "again", file], database: db.conninfo(user: a))
        #expect(again.stdout.contains("unchanged"))
    }

    @Test("screen: JSON Lines in, decisions out in input order, bad lines held, nothing written")
    func screenDryRun() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        _ = try ListFixtures.importSDN(c)
        let mt = DaemonListReloadTests.beneficiaryPayment("T1", name: "VOLGA PRECISION INSTRUMENTS LLC")
        let clean = DaemonListReloadTests.beneficiaryPayment("T2", name: "DUPONT SARL")
        func line(_ ref: String, _ format: String, _ message: String) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: ["ref": ref, "format": format, "message": message, "expect": "ignored"]), as: UTF8.self)
        }
        let byLEI = DaemonListReloadTests.beneficiaryPayment("T4", name: "DUPONT SARL\r\nLEI 529900T8BM49AURSDO55")
        let input = [try line("T1", "mt103", mt), "this is not json", try line("T2", "mt103", clean), try line("T3", "mt999", clean),
                     try line("T4", "mt103", byLEI)].joined(separator: "\n") + "\n"
        let r = try CLI.run(["screen"], database: db.conninfo, stdin: input)
        #expect(r.status == 0)
        let out = r.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(out.count == 5)
        #expect(out[0]?["ref"] as? String == "T1")
        #expect(out[0]?["decision"] as? String == "hold")
        #expect(out[0]?["reasons"] as? [String] == ["sanctioned_party"])
        let hit = (out[0]?["hits"] as? [[String: Any]])?.first
        #expect(hit?["list"] as? String == "ofac-sdn")
        #expect(hit?["entry_id"] as? String == "1001")
        #expect(hit?["field"] as? String == "beneficiary")
        #expect(out[1]?["ref"] is NSNull)
        #expect(out[1]?["decision"] as? String == "hold")
        #expect(out[1]?["reasons"] as? [String] == ["unparseable"])
        #expect(out[1]?["error"] != nil)
        #expect(out[2]?["decision"] as? String == "release")
        #expect(out[3]?["reasons"] as? [String] == ["unparseable"])
        // A benign name with a listed identifier: held, and the hit says which identifier.
        let lei = (out[4]?["hits"] as? [[String: Any]])?.first
        #expect(out[4]?["decision"] as? String == "hold")
        #expect(lei?["identifier_type"] as? String == "LEI")
        #expect(lei?["entry_id"] as? String == "1003")
        #expect(hit?["identifier_type"] == nil)
        #expect(try c.query("SELECT count(*) FROM chokepoint.payments").scalar == "0")
        #expect(try c.query("SELECT count(*) FROM chokepoint.screening_runs").scalar == "0")
    }

    @Test("run decides payments, tells systemd READY, and exits 0 on SIGTERM after draining")
    func runAndStop() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        _ = try ListFixtures.importSDN(c)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["run", "--workers", "1", "--poll-interval", "0.2"]
        var env = ProcessInfo.processInfo.environment
        env["CHOKEPOINT_DATABASE_URL"] = db.conninfo
        env["CHOKEPOINT_LOG_LEVEL"] = "warning"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('C1', 'mt103', $1)",
                    [DaemonListReloadTests.beneficiaryPayment("C1", name: "VOLGA PRECISION INSTRUMENTS LLC")])
        #expect(eventually { (try? c.query("SELECT status FROM chokepoint.payments WHERE external_ref = 'C1'").scalar) == "held" })
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 0)
    }
}

@Suite("systemd units")
struct SystemdUnitTests {
    @Test("every unit passes systemd-analyze verify without a warning")
    func verify() throws {
        let units = ["chokepoint.service", "chokepoint-rescreen.service", "chokepoint-rescreen.timer", "chokepoint-console.service",
                     "chokepoint-lists.service", "chokepoint-lists.timer"]
        let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let analyze else {
            Issue.record("systemd-analyze is not installed (scripts/install-deps installs it)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("units-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for u in units {
            // The binary is not installed on the test machine: point ExecStart at the one just built.
            let text = try String(contentsOfFile: TestDatabase.packageRoot + "/systemd/" + u, encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/chokepoint", with: CLI.binary)
            try text.write(to: dir.appendingPathComponent(u), atomically: true, encoding: .utf8)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: analyze)
        p.arguments = ["verify"] + units.map { dir.appendingPathComponent($0).path }
        p.environment = ["SYSTEMD_LOG_LEVEL": "warning", "PATH": "/usr/bin:/bin"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = err
        try p.run()
        let output = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(output)")
        let service = try String(contentsOfFile: TestDatabase.packageRoot + "/systemd/chokepoint.service", encoding: .utf8)
        for line in ["Type=notify", "WatchdogSec=", "Restart=on-failure", "EnvironmentFile=", "NoNewPrivileges=yes", "ProtectSystem=strict",
                     "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"] {
            #expect(service.contains(line), "\(line)")
        }
        #expect(!service.contains("PGPASSWORD") && !service.lowercased().contains("password="))
        // The console: loopback, Secure cookies behind the proxy, as hardened as the daemon, and no credentials of its own.
        let console = try String(contentsOfFile: TestDatabase.packageRoot + "/systemd/chokepoint-console.service", encoding: .utf8)
        for line in ["chokepoint console --host 127.0.0.1", "--secure-cookies", "User=chokepoint-console", "EnvironmentFile=",
                     "NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service",
                     "MemoryDenyWriteExecute=yes", "Restart=on-failure"] {
            #expect(console.contains(line), "\(line)")
        }
        #expect(!console.contains("PGPASSWORD") && !console.lowercased().contains("password="))
        // The nightly unit writes the audit chain's head down outside the database, whatever the rescreen's outcome.
        let nightly = try String(contentsOfFile: TestDatabase.packageRoot + "/systemd/chokepoint-rescreen.service", encoding: .utf8)
        #expect(nightly.contains("ExecStopPost=/usr/local/bin/chokepoint audit anchor --to /var/lib/chokepoint/audit-anchors"))
        #expect(nightly.contains("StateDirectory=chokepoint"))
        // The lists fetch: hardened like the others, with its own login (not the daemon's), every few hours at a random minute.
        let lists = try String(contentsOfFile: TestDatabase.packageRoot + "/systemd/chokepoint-lists.service", encoding: .utf8)
        for line in ["Type=oneshot", "EnvironmentFile=/etc/chokepoint/lists.env", "ExecStart=/usr/local/bin/chokepoint lists fetch --config /etc/chokepoint/lists.toml",
                     "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service",
                     "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "MemoryDenyWriteExecute=yes", "UMask=0077"] {
            #expect(lists.contains(line), "\(line)")
        }
        #expect(!lists.contains("PGPASSWORD") && !lists.lowercased().contains("password="))
        let timer = try String(contentsOfFile: TestDatabase.packageRoot + "/systemd/chokepoint-lists.timer", encoding: .utf8)
        #expect(timer.contains("RandomizedDelaySec=") && timer.contains("Persistent=true") && timer.contains("Unit=chokepoint-lists.service"))
    }
}
