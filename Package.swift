// swift-tools-version: 6.1
import PackageDescription

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTesting = Target.Dependency.product(name: "HummingbirdTesting", package: "hummingbird")
let mustache = Target.Dependency.product(name: "Mustache", package: "swift-mustache")
let httpTypes = Target.Dependency.product(name: "HTTPTypes", package: "swift-http-types")
let toml = Target.Dependency.product(name: "TOMLKit", package: "TOMLKit")

let package = Package(
    name: "chokepoint",
    products: [
        .executable(name: "chokepoint", targets: ["chokepoint"]),
        .executable(name: "chokepoint-bench", targets: ["chokepoint-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // The only C in the project: libpq, reached through one Swift module (Postgres).
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "Postgres", dependencies: ["CLibPQ", logging]),

        // Pure modules: no database, no knowledge of each other.
        .target(name: "Matching", exclude: ["DESIGN.md"]),
        // The one strict XML parser, for payment messages and list files alike.
        .target(name: "XML"),
        .target(name: "Messages", dependencies: ["XML"]),
        .target(name: "Watchlists", dependencies: ["XML"]),

        // Policy over the pure modules.
        .target(name: "Screening", dependencies: ["Matching", "Messages", "Watchlists"]),

        // The SQL API from Swift: payments, lists, migrations, the audit chain, building a screener from the database.
        .target(name: "Store", dependencies: ["Screening", "Watchlists", "Postgres", logging]),
        // The running product: claim -> screen -> decide workers, LISTEN, reloads, sd_notify, metrics.
        .target(name: "Daemon", dependencies: ["Store", "Screening", "Postgres", logging, lifecycle, metrics, prometheus, hummingbird, httpTypes]),
        // The nightly batch: screening stored payments again.
        .target(name: "Rescreen", dependencies: ["Store", "Screening", "Watchlists", "Postgres", logging]),

        // The operators' console: a web application over the SQL API, each request as the operator's own role.
        .target(name: "Console", dependencies: ["Store", "Messages", "Watchlists", "Postgres", logging, hummingbird, mustache, httpTypes]),
        // `lists fetch`: the lists' config file (pure: TOML in, sources out, no network, no database) and the
        // fetcher (HTTP through URLSession/libcurl, then the same import path as `lists import`).
        .target(name: "FetchConfig", dependencies: [toml]),
        .target(name: "ListFetch", dependencies: ["FetchConfig", "Store", "Watchlists", "Postgres"]),

        .executableTarget(name: "chokepoint", dependencies: ["Console", "Daemon", "Rescreen", "Store", "ListFetch", "FetchConfig", "Screening", "Watchlists",
                                                            "Postgres", argumentParser, logging, lifecycle]),
        // What benchmarks and tests share: real daemons as processes, a payment inserter, private clusters,
        // the drills' invariants and full-disk volume, stand-in screeners. Never linked into `chokepoint`.
        .target(name: "Harness", dependencies: ["Store", "Screening", "Postgres"]),
        .executableTarget(name: "chokepoint-bench", dependencies: ["Harness", "Daemon", "Rescreen", "Store", "Screening", "Matching", "Messages", "Watchlists", "Postgres", argumentParser, logging]),

        // Test helpers. TestSupport: a fresh database per test (Store only). IntegrationSupport: the built
        // binaries, a daemon in-process, hand-written lists and payments, for the tests of the running parts.
        .target(name: "TestSupport", dependencies: ["Postgres", "Store"], path: "Tests/TestSupport"),
        .target(name: "IntegrationSupport", dependencies: ["TestSupport", "Harness", "Daemon", "Rescreen", "Store", "Screening",
                                                           "Watchlists", "Postgres", logging],
                path: "Tests/IntegrationSupport"),

        // Unit tests of the pure modules (no database, no network): `swift test --filter MatchingTests` and so on.
        .testTarget(name: "MatchingTests", dependencies: ["Matching"]),
        .testTarget(name: "XMLTests", dependencies: ["XML"]),
        .testTarget(name: "MessagesTests", dependencies: ["Messages"]),
        // Fixtures/ holds list files written for the tests, read from disk by path (not bundled resources).
        .testTarget(name: "WatchlistsTests", dependencies: ["Watchlists"], exclude: ["Fixtures"]),
        .testTarget(name: "FetchConfigTests", dependencies: ["FetchConfig"]),
        .testTarget(name: "ScreeningTests", dependencies: ["Screening", "Matching", "Messages", "Watchlists"]),
        // Unit tests of the runtime's pure parts (attempt ledger, audit walker, sd_notify): no database.
        .testTarget(name: "DaemonUnitTests", dependencies: ["Daemon", "Store"]),

        // Need PostgreSQL (scripts/test starts one; CHOKEPOINT_TEST_DATABASE_URL names it):
        // the libpq wrapper,
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        // the SQL API attacked and used as each role, migrations, list storage, the audit chain,
        .testTarget(name: "SQLAPITests", dependencies: ["IntegrationSupport", "TestSupport", "Store", "Rescreen", "Screening", "Watchlists",
                                                        "Postgres", logging]),
        // the daemon, the rescreen and the CLI running for real, metrics, systemd units, `lists fetch` against a
        // loopback HTTP server (Tests/Fixtures/list-server.py),
        .testTarget(name: "DaemonIntegrationTests", dependencies: ["IntegrationSupport", "TestSupport", "Harness", "Daemon", "Rescreen", "Store",
                                                                   "ListFetch", "FetchConfig", "Screening", "Watchlists", "Postgres",
                                                                   logging, metrics, prometheus, hummingbird, hummingbirdTesting]),
        // the operators' console, request by request, as each role,
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "TestSupport", "IntegrationSupport", "Harness", "Store", "Postgres",
                                                         hummingbird, hummingbirdTesting, httpTypes, logging]),
        // and the quick fault drills (real `chokepoint run` processes, a cluster of their own for restarts).
        .testTarget(name: "FaultDrillTests", dependencies: ["IntegrationSupport", "TestSupport", "Harness", "Store", "Postgres"]),
    ]
)

