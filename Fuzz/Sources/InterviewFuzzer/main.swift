import Foundation
import InterviewFuzzing

/// Invariants not to stop on, comma-separated (`JESTRY_FUZZ_IGNORE=usageWithinBalance`): so a known, reported
/// breakage does not keep the fuzzer from looking for others.
private let ignored = Set((ProcessInfo.processInfo.environment["JESTRY_FUZZ_IGNORE"] ?? "")
    .split(separator: ",").compactMap { Invariant(rawValue: String($0)) })

/// libFuzzer's entry point: the bytes are a scenario (`FuzzScenario(bytes:)`), played against the decoder and the
/// machine; a crash is a finding, and so is a broken invariant, which aborts so that libFuzzer keeps the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let scenario = FuzzScenario(bytes: UnsafeBufferPointer(start: data, count: size))
    let broken = InterviewInvariants.violations(in: InterviewFuzzDriver.run(scenario)).filter { !ignored.contains($0.invariant) }
    guard broken.isEmpty else {
        FileHandle.standardError.write(Data(("\(scenario)\n" + broken.map { "broken: \($0)\n" }.joined()).utf8))
        abort()
    }
    return 0
}

/// libFuzzer's driver (the fuzzer's own `main` is not linked in: SwiftPM gives every executable a Swift `main`).
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<CInt>,
                       _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv, fuzzOneInput))
