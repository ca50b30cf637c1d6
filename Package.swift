// swift-tools-version: 6.1
import PackageDescription

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")

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
        .target(name: "Daemon", dependencies: ["Store", "Screening", "Postgres", logging, lifecycle, metrics, prometheus]),
        // The nightly batch: screening stored payments again.
        .target(name: "Rescreen", dependencies: ["Store", "Screening", "Watchlists", "Postgres", logging]),

        .executableTarget(name: "chokepoint", dependencies: ["Daemon", "Rescreen", "Store", "Screening", "Watchlists", "Postgres", argumentParser, logging, lifecycle]),
        .executableTarget(name: "chokepoint-bench", dependencies: ["Daemon", "Rescreen", "Store", "Screening", "Matching", "Messages", "Watchlists", "Postgres", argumentParser, logging]),

        // Helpers for tests that need a real PostgreSQL (a fresh database per test).
        .target(name: "TestSupport", dependencies: ["Postgres", "Store"], path: "Tests/TestSupport"),

        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "MatchingTests", dependencies: ["Matching"]),
        .testTarget(name: "XMLTests", dependencies: ["XML"]),
        .testTarget(name: "MessagesTests", dependencies: ["Messages"]),
        .testTarget(name: "WatchlistsTests", dependencies: ["Watchlists"]),
        .testTarget(name: "ScreeningTests", dependencies: ["Screening", "Matching", "Messages", "Watchlists"]),
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "Rescreen", "Store", "Screening", "Watchlists", "Postgres", "TestSupport",
                                                        logging, metrics, prometheus]),
    ]
)

