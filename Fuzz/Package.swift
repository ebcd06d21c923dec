// swift-tools-version:6.0
import PackageDescription

// libFuzzer for the wire decoder and the state machine. Only built with the fuzzer flags:
//   swift build -c release -Xswiftc -sanitize=fuzzer,address --package-path Fuzz
// docs/FUZZING.md says how to run it.
let package = Package(
    name: "JestryFuzz",
    dependencies: [
        .package(name: "Jestry", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "InterviewFuzzer",
            dependencies: [.product(name: "InterviewFuzzing", package: "Jestry")]
        ),
    ]
)
