// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Jestry",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "jestry", targets: ["jestry"]),
        // The core and its fuzz driver, for the libFuzzer package in Fuzz/.
        .library(name: "InterviewFuzzing", targets: ["InterviewFuzzing", "Interview"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries, imported through module maps and shim headers.
        .systemLibrary(name: "CWebSockets", path: "Sources/CWebSockets", pkgConfig: "libwebsockets",
                       providers: [.apt(["libwebsockets-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "CSignals"),
        // The RFC 6455 mask check libwebsockets 4.1.6 lacks: wraps recv and SSL_read for the sockets it watches.
        .target(name: "CMaskedFrames"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // The pure core: no I/O, no clock, no sockets.
        .target(name: "Interview"),
        .target(name: "Audio"),
        // The labelled test set of the voice activity detector: noises, mixes and window scores (tests, benchmark).
        .target(name: "VADTestSet", dependencies: ["Audio"]),
        .target(name: "Prompts", dependencies: [
            "Interview", "Security",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Mustache", package: "swift-mustache"),
        ]),
        .target(name: "Security", dependencies: ["COpenSSL"]),
        .target(name: "Store", dependencies: [
            "Interview", "Security",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The shared store of a fleet: PostgreSQL through libpq, behind the same protocol.
        .target(name: "PostgresStore", dependencies: ["Store", "Interview", "Security", "CLibPQ"]),
        .target(name: "EngineClient", dependencies: ["CWebSockets", "COpenSSL"]),
        // The engine's client for the services it calls: libcurl's multi interface on one thread, bounded.
        .target(name: "OutboundHTTP", dependencies: ["CCurl"]),
        // The model provider: an OpenAI-compatible streaming chat client, its bounds, and the checks on its output.
        .target(name: "Model", dependencies: ["Interview", "OutboundHTTP"]),
        .target(name: "Server", dependencies: [
            "Interview", "Prompts", "Audio", "Store", "PostgresStore", "Security", "CWebSockets", "CMaskedFrames", "Model", "OutboundHTTP",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .target(name: "Bot", dependencies: [
            "Audio", "EngineClient",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .executableTarget(name: "jestry", dependencies: [
            "CSignals", "Server", "Bot", "Store", "PostgresStore", "Prompts", "Audio", "Interview", "Security", "VADTestSet", "Model",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),

        // Drives InterviewStateMachine with arbitrary inputs and checks its invariants: shared by the property
        // tests and the libFuzzer target, so it lives beside the tests and uses only the public API.
        .target(name: "InterviewFuzzing", dependencies: ["Interview"], path: "Tests/InterviewFuzzing"),
        .testTarget(name: "InterviewTests", dependencies: [
            "Interview", "InterviewFuzzing", "TestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "AudioTests", dependencies: ["Audio", "VADTestSet", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "PromptsTests", dependencies: ["Prompts", "Interview"]),
        .testTarget(name: "SecurityTests", dependencies: ["Security"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Interview", "OutboundHTTP"]),
        .testTarget(name: "OutboundHTTPTests", dependencies: ["OutboundHTTP", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "PostgresStore", "Security", "Interview", "TestSupport"]),
        .target(name: "TestSupport", dependencies: ["PostgresStore", .product(name: "Logging", package: "swift-log")],
                path: "Tests/TestSupport"),
        // The server's pure parts (limits, registries, answers to hostile input), without sockets.
        .testTarget(name: "ServerTests", dependencies: [
            "Server", "CMaskedFrames", "CWebSockets", "Store", "Prompts", "Interview", "Audio", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "EngineClientTests", dependencies: ["EngineClient"]),
        .testTarget(name: "BotTests", dependencies: ["Bot"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Server", "Bot", "Store", "PostgresStore", "EngineClient", "Interview", "Audio", "TestSupport", "Model", "OutboundHTTP"]),
        .testTarget(name: "BrowserTests", dependencies: ["TestSupport", "Server", "Store", "EngineClient", "Prompts"]),
    ]
)
