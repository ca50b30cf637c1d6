import Foundation
import Postgres
import Synchronization
import Testing
import TestSupport

@Suite("libpq wrapper against a real PostgreSQL", .enabled(if: TestDatabase.enabled))
struct ConnectionTests {
    @Test("parameters round-trip: quotes, backslashes, Unicode, NULL")
    func parametersRoundTrip() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        let values: [String?] = ["O'Brien \"quoted\" \\ back", "Сбербанк Türkiye 中文 🚀", nil, "", "line1\nline2\r\n"]
        let r = try c.query("SELECT $1::text, $2::text, $3::text, $4::text, $5::text", values)
        #expect(r.rows.count == 1)
        #expect(r.rows[0].values == values)
        let n = try c.query("SELECT $1::int + 1, $2::float8, $3::bool", ["41", "0.5", "true"])
        #expect(n.rows[0].int(0) == 42)
        #expect(n.rows[0].double(1) == 0.5)
        #expect(n.rows[0].bool(2) == true)
    }

    @Test("a connection as another role: the typed role replaces the URL's user, and typed text never becomes conninfo")
    func connectAsRole() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let role = try db.createLoginRole(prefix: "person", memberOf: "pg_read_all_data")
        // The URL names the superuser; the separate parameter wins.
        let c = try Connection(conninfo: db.conninfo, user: role, password: "typed by a person", extra: [("application_name", "t")])
        #expect(try c.query("SELECT session_user::text, current_setting('application_name')").rows[0].values == [role, "t"])
        // A password full of conninfo syntax is a password, not settings (the test cluster trusts local users).
        let odd = try Connection(conninfo: db.conninfo, user: role, password: "x' user=postgres dbname=postgres '")
        #expect(try odd.query("SELECT session_user::text, current_database()::text").rows[0].values == [role, db.name])
        #expect(throws: PostgresError.self) { try Connection(conninfo: db.conninfo, user: "no_such_role_here", password: "x") }
    }

    @Test("a parameter is never interpreted as SQL")
    func injectionIsData() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        try c.query("CREATE TABLE t (v text)")
        let evil = "x'); DROP TABLE t; --"
        try c.query("INSERT INTO t VALUES ($1)", [evil])
        #expect(try c.query("SELECT v FROM t").scalar == evil)
    }

    @Test("errors carry SQLSTATE; description hides the row values in DETAIL")
    func errorsCarrySQLState() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        try c.query("CREATE TABLE u (v text UNIQUE)")
        try c.query("INSERT INTO u VALUES ($1)", ["SECRET-BENEFICIARY"])
        do {
            try c.query("INSERT INTO u VALUES ($1)", ["SECRET-BENEFICIARY"])
            Issue.record("duplicate insert succeeded")
        } catch {
            #expect(error.sqlState == PostgresError.uniqueViolation)
            #expect(error.kind == .server)
            #expect(!error.description.contains("SECRET-BENEFICIARY"))
            #expect(error.debugDescription.contains("SECRET-BENEFICIARY"))
            #expect(!error.isTransient)
        }
        do {
            try c.query("SELEC 1")
            Issue.record("syntax error not reported")
        } catch {
            #expect(error.sqlState == "42601")
        }
        // The connection stays usable after an error.
        #expect(try c.query("SELECT 1").scalar == "1")
    }

    @Test("a transaction sends BEGIN with its first statement: it commits, and rolls back on a failing statement or a thrown error")
    func pipelinedBegin() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        try c.query("CREATE TABLE t (n int PRIMARY KEY)")
        // First statement plain, then prepared (prepared on first use, outside the pipeline).
        let inside = try c.transaction { c -> [String?] in
            try c.query("INSERT INTO t VALUES (1)")
            #expect(c.inTransaction)
            try c.queryPrepared("INSERT INTO t VALUES ($1)", ["2"])
            return try c.query("SELECT count(*)::text FROM t").rows[0].values
        }
        #expect(inside == ["2"])
        #expect(!c.inTransaction)
        try c.transaction { c in _ = try c.queryPrepared("INSERT INTO t VALUES ($1)", ["3"]) }
        #expect(try c.query("SELECT string_agg(n::text, ',' ORDER BY n) FROM t").scalar == "1,2,3")

        // A first statement the server refuses: its own error, the transaction rolled back, the connection usable.
        do {
            try c.transaction { c in _ = try c.query("INSERT INTO t VALUES (1)") }
            Issue.record("duplicate accepted")
        } catch let e as PostgresError {
            #expect(e.sqlState == PostgresError.uniqueViolation)
        }
        #expect(!c.inTransaction)
        do {
            try c.transaction { c in
                _ = try c.queryPrepared("INSERT INTO t VALUES ($1)", ["4"])
                _ = try c.query("INSERT INTO t VALUES (1)")
            }
            Issue.record("duplicate accepted")
        } catch let e as PostgresError {
            #expect(e.sqlState == PostgresError.uniqueViolation)
        }
        // A body that throws after its statements rolls them back, scripts included.
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try c.transaction { c in
                try c.executeScript("INSERT INTO t VALUES (5); INSERT INTO t VALUES (6)")
                throw Stop()
            }
        }
        #expect(!c.inTransaction)
        #expect(try c.query("SELECT string_agg(n::text, ',' ORDER BY n) FROM t").scalar == "1,2,3")
    }

    @Test("the last statement can carry the COMMIT: committed when it returns, rolled back when it or the COMMIT fails")
    func committingStatement() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        let other = try db.connect()
        // A deferred unique constraint is checked at COMMIT: the way to make COMMIT itself fail.
        try c.query("CREATE TABLE t (n int, CONSTRAINT t_once UNIQUE (n) DEFERRABLE INITIALLY DEFERRED)")
        func numbers() throws -> String? { try other.query("SELECT string_agg(n::text, ',' ORDER BY n) FROM t").scalar }
        try c.transaction { c in
            try c.query("INSERT INTO t VALUES (1)")
            try c.queryPreparedCommitting("INSERT INTO t VALUES ($1)", ["2"])
            #expect(!c.inTransaction)
            #expect(try numbers() == "1,2")
        }
        // Alone in its transaction: BEGIN, the statement and COMMIT in one pipeline.
        try c.transaction { c in _ = try c.queryPreparedCommitting("INSERT INTO t VALUES ($1)", ["3"]) }
        #expect(try numbers() == "1,2,3")
        // The statement fails: the server skips the COMMIT and the transaction rolls back.
        #expect(throws: PostgresError.self) {
            try c.transaction { c in
                try c.query("INSERT INTO t VALUES (4)")
                try c.queryPreparedCommitting("INSERT INTO t VALUES ($1::int)", ["not a number"])
            }
        }
        #expect(!c.inTransaction)
        // The COMMIT fails: its error is thrown and nothing of the transaction stays.
        do {
            try c.transaction { c in
                try c.query("INSERT INTO t VALUES (5)")
                try c.queryPreparedCommitting("INSERT INTO t VALUES ($1)", ["1"])
            }
            Issue.record("a COMMIT violating a deferred constraint succeeded")
        } catch let e as PostgresError {
            #expect(e.sqlState == PostgresError.uniqueViolation)
        }
        #expect(!c.inTransaction)
        #expect(try numbers() == "1,2,3")
        #expect(try c.query("SELECT count(*) FROM t").scalar == "3")
    }

    @Test("settings sent with a statement hold for it and its transaction only, with BEGIN and COMMIT in the same pipeline")
    func settingLocally() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        func setting(_ name: String) throws -> String? { try c.query("SELECT current_setting($1)", [name]).scalar }
        let before = try setting("work_mem")
        let query = "SELECT current_setting('work_mem'), current_setting('jit')"
        let off: Connection.LocalSettings = [("work_mem", "1234kB"), ("jit", "off")]
        // Outside a transaction: the pipeline's own implicit transaction.
        #expect(try c.queryPrepared(query, settingLocally: off).rows[0].values == ["1234kB", "off"])
        #expect(try setting("work_mem") == before)
        // First in a transaction (BEGIN, the settings, the statement), then the next statement still sees them.
        try c.transaction { c in
            let first = try c.queryPrepared(query, settingLocally: off)
            let next = try c.query("SELECT current_setting('work_mem')")
            #expect(first.rows[0].values == ["1234kB", "off"])
            #expect(next.scalar == "1234kB")
        }
        #expect(try setting("work_mem") == before)
        // With the COMMIT: settings, statement and COMMIT in one pipeline.
        try c.transaction { c in
            try c.query("SELECT 1")
            let last = try c.queryPreparedCommitting(query, settingLocally: off)
            #expect(last.rows[0].values == ["1234kB", "off"])
            #expect(!c.inTransaction)
        }
        #expect(try setting("work_mem") == before)
        // A setting the server refuses fails the statement, and the transaction rolls back; alone, too.
        do {
            try c.transaction { c in
                try c.query("SELECT 1")
                _ = try c.queryPreparedCommitting(query, settingLocally: [("work_mem", "not a size")])
            }
            Issue.record("a refused setting was accepted")
        } catch let e as PostgresError {
            #expect(e.sqlState == "22023", "\(e)")
        }
        #expect(!c.inTransaction)
        #expect(throws: PostgresError.self) { try c.queryPrepared(query, settingLocally: [("jit", "sometimes")]) }
        #expect(!c.inTransaction)
        #expect(try setting("work_mem") == before)
    }

    @Test("a statement sent without waiting runs while the caller works; its result or error comes with collect; one at a time; it runs even if the connection closes at once")
    func sendThenCollect() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        let admin = try db.connect()
        defer { c.close(); admin.close() }
        try c.send("SELECT pg_sleep(0.5), $1::int + 1", ["41"])
        #expect(c.awaitingResult)
        // The server is running it while the caller goes on (it may take a moment to start).
        var state: String?
        for _ in 0..<200 where state != "active" {
            state = try admin.query("SELECT state FROM pg_stat_activity WHERE pid = $1", [String(c.backendPID)]).scalar
            if state != "active" { Thread.sleep(forTimeInterval: 0.002) }
        }
        #expect(state == "active")
        // Nothing else goes out before the result is collected.
        #expect(throws: PostgresError.self) { try c.send("SELECT 1", []) }
        #expect(throws: PostgresError.self) { try c.query("SELECT 1") }
        #expect(throws: PostgresError.self) { try c.executeScript("SELECT 1") }
        #expect(try c.collect().rows[0].string(1) == "42")
        #expect(!c.awaitingResult)
        #expect(throws: PostgresError.self) { try c.collect() }
        // Errors come with collect, and the connection is usable after.
        try c.send("SELECT 1 / $1::int", ["0"])
        let error = #expect(throws: PostgresError.self) { try c.collect() }
        #expect(error?.sqlState == "22012")
        #expect(try c.query("SELECT 2").scalar == "2")
        // Prepared once per connection, like queryPrepared.
        try c.send("SELECT $1::int * 2", ["4"])
        #expect(try c.collect().scalar == "8")
        try c.send("SELECT $1::int * 2", ["5"])
        #expect(try c.collect().scalar == "10")
        #expect(try c.query("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%* 2'").scalar == "1")
        // Sent, then the connection closed at once: the server still runs (and commits) it.
        try admin.query("CREATE TABLE sent (n int)")
        let gone = try db.connect()
        try gone.send("INSERT INTO sent SELECT 7 FROM pg_sleep(0.1)", [])
        gone.close()
        let deadline = Date().addingTimeInterval(10)
        while try admin.query("SELECT count(*) FROM sent").scalar == "0" && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try admin.query("SELECT n FROM sent").scalar == "7")
    }

    @Test("on a terminated connection, a transaction without statements sends nothing and one with a statement fails as a connection error, without hanging")
    func pipelinedBeginOnDeadConnection() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        let admin = try db.connect()
        let pid = c.backendPID
        _ = try admin.query("SELECT pg_terminate_backend($1)", [String(pid)])
        Thread.sleep(forTimeInterval: 0.2)
        // A body without statements sends nothing, so the dead connection does not show (BEGIN alone would fail).
        #expect(try c.transaction { _ in 7 } == 7)
        struct Stop: Error {}
        #expect(throws: Stop.self) { try c.transaction { _ in throw Stop() } }
        do {
            try c.transaction { c in
                _ = try c.queryPrepared("SELECT 1")
            }
            Issue.record("a statement on a terminated connection succeeded")
        } catch let e as PostgresError {
            #expect(e.isTransient)
        }
        #expect(!c.isConnected)
    }

    @Test("a bad conninfo is a connection error")
    func badConnection() {
        #expect(throws: PostgresError.self) {
            _ = try Connection(conninfo: "postgresql:///nope?host=/nonexistent-socket-dir")
        }
    }

    @Test("LISTEN receives a NOTIFY sent from another connection")
    func listenNotify() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let listener = try db.connect()
        try listener.listen("test_channel")
        let sender = try db.connect()
        try sender.query("SELECT pg_notify($1, $2)", ["test_channel", "hello 42"])
        var got: [PostgresNotification] = []
        let deadline = Date().addingTimeInterval(5)
        while got.isEmpty && Date() < deadline {
            _ = listener.waitForInput(timeoutMilliseconds: 100)
            got += try listener.drainNotifications()
        }
        #expect(got.count == 1)
        #expect(got.first?.channel == "test_channel")
        #expect(got.first?.payload == "hello 42")
        #expect(got.first?.backendPID == sender.backendPID)
    }

    @Test("a terminated connection is reported as a transient connection error")
    func terminatedConnection() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let victim = try db.connect()
        let killer = try db.connect()
        try killer.query("SELECT pg_terminate_backend($1::int)", [String(victim.backendPID)])
        Thread.sleep(forTimeInterval: 0.1)
        do {
            try victim.query("SELECT 1")
            Issue.record("query on a terminated connection succeeded")
        } catch {
            #expect(error.isTransient)
        }
    }

    @Test("disk full and read-only errors are transient and named for the operator's log")
    func resourceConditions() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        do {
            try c.query("DO $$ BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$")
            Issue.record("no error raised")
        } catch {
            #expect(error.sqlState == "53100")
            #expect(error.isTransient)
            #expect(error.condition == "PostgreSQL is out of disk space")
        }
        try c.query("SET default_transaction_read_only = on")
        do {
            try c.query("CREATE TABLE t (x int)")
            Issue.record("a write succeeded in a read-only session")
        } catch {
            #expect(error.sqlState == PostgresError.readOnlyTransaction)
            #expect(error.isTransient)
            #expect(error.condition == "the database is read-only")
        }
        #expect(PostgresError(kind: .server, sqlState: "42601", message: "syntax").condition == nil)
        #expect(PostgresError(kind: .connection, message: "gone").condition == "connection to PostgreSQL lost or refused")
    }

    @Test("arrays travel as one parameter and survive quotes, commas, braces and NULL")
    func arrayParameters() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        let values: [String?] = ["a,b", "{x}", "q\"uote", "back\\slash", nil, "NULL", "Ünïcödé", ""]
        let r = try c.query("SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, i) ORDER BY i", [PostgresArray.text(values)])
        #expect(r.rows.map { $0[0] } == values)
        let back = try c.query("SELECT $1::text[]", [PostgresArray.text(values)]).scalar ?? ""
        #expect(PostgresArray.parseText(back) == values)
        #expect(try c.query("SELECT cardinality($1::text[])", [PostgresArray.text([String?]())]).scalar == "0")
    }

    @Test("integer arrays, and text arrays of integer arrays, are the server's own literals: extremes, signs, empty arrays")
    func integerArrayParameters() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        let big: [Int64] = [0, 1, -1, 9, 10, -10, 1_234_567_890_123, Int64.max, Int64.min]
        #expect(PostgresArray.int64(big) == "{" + big.map(String.init).joined(separator: ",") + "}")
        let r = try c.query("SELECT v::text FROM unnest($1::bigint[]) WITH ORDINALITY AS u(v, i) ORDER BY i", [PostgresArray.int64(big)])
        #expect(r.rows.map { $0[0] } == big.map(String.init))
        #expect(try c.query("SELECT cardinality($1::bigint[])", [PostgresArray.integers([Int32]())]).scalar == "0")
        let keys: [[Int32]] = [[3, -7, Int32.max, Int32.min], [], [42]]
        let k = try c.query("SELECT k::integer[]::text FROM unnest($1::text[]) WITH ORDINALITY AS u(k, i) ORDER BY i",
                            [PostgresArray.integerArrays(keys)])
        #expect(k.rows.map { $0[0] } == keys.map { "{" + $0.map(String.init).joined(separator: ",") + "}" })
        #expect(try c.query("SELECT cardinality($1::text[])", [PostgresArray.integerArrays([[Int32]]())]).scalar == "0")
    }

    @Test("the listener reconnects after its backend is terminated and says so")
    func listenerReconnects() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let events = Mutex<[String]>([])
        let listener = NotificationListener(conninfo: db.conninfo, channels: ["wake"], logger: .init(label: "test")) { event in
            switch event {
            case .notification(let n): events.withLock { $0.append("n:" + n.payload) }
            case .reconnected: events.withLock { $0.append("connected") }
            case .connectionLost: events.withLock { $0.append("lost") }
            }
        }
        listener.start()
        defer { listener.stop() }
        #expect(eventually { listener.backendPID != 0 })
        let c = try db.connect()
        try c.query("SELECT pg_notify('wake', 'one')")
        #expect(eventually { events.withLock { $0.contains("n:one") } })
        let first = listener.backendPID
        try c.query("SELECT pg_terminate_backend($1::int)", [String(first)])
        #expect(eventually { listener.backendPID != 0 && listener.backendPID != first })
        try c.query("SELECT pg_notify('wake', 'two')")
        #expect(eventually { events.withLock { $0.contains("n:two") } })
        let log = events.withLock { $0 }
        #expect(log.filter { $0 == "connected" }.count >= 2)
        #expect(log.contains("lost"))
    }
}

@Suite("reconnect backoff")
struct BackoffTests {
    @Test("grows exponentially with jitter and is capped")
    func growth() {
        var b = Backoff(initial: 0.1, maximum: 1.0)
        let d0 = b.nextDelay(unit: 0)
        let d1 = b.nextDelay(unit: 1)
        #expect(d0 == 0.05)
        #expect(d1 == 0.2)
        for _ in 0..<20 { _ = b.nextDelay(unit: 0.5) }
        let capped = b.nextDelay(unit: 1)
        #expect(capped == 1.0)
        b.reset()
        #expect(b.failures == 0)
        #expect(b.nextDelay(unit: 1) == 0.1)
    }

    @Test("never zero, never above the ceiling, for any jitter")
    func bounds() {
        var rng = SystemRandomNumberGenerator()
        var b = Backoff(initial: 0.05, maximum: 5)
        for _ in 0..<200 {
            let ceiling = b.ceiling
            let d = b.nextDelay(unit: Double.random(in: 0..<1, using: &rng))
            #expect(d > 0 && d <= ceiling)
        }
    }
}

@Suite("connection strings")
struct ConnInfoTests {
    @Test("pointing a connection at another database keeps host, user and options", arguments: [
        ("postgresql:///postgres?host=/tmp/s&user=postgres", "postgresql:///t1?host=/tmp/s&user=postgres"),
        ("postgresql://u@db.example:5433/payments?sslmode=verify-full", "postgresql://u@db.example:5433/t1?sslmode=verify-full"),
        ("postgres://u@db.example", "postgres://u@db.example/t1"),
        ("host=/tmp/s user=postgres", "host=/tmp/s user=postgres dbname=t1"),
        ("", "dbname=t1"),
    ])
    func replacingDatabase(input: String, expected: String) {
        #expect(ConnInfo.replacingDatabase(input, with: "t1") == expected)
    }
}
