import Foundation

/// Speech WAVs for tests, spoken by espeak-ng (`make test` installs it; see APT_PACKAGES in the Makefile).
public enum Espeak {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Speaks `text` into `url` (espeak-ng's own 22,050 Hz WAV); `wordsPerMinute` nil keeps its default pace.
    public static func speak(_ text: String, to url: URL, wordsPerMinute: Int? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["espeak-ng"] + (wordsPerMinute.map { ["-s", "\($0)"] } ?? []) + ["-w", url.path, text]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "espeak-ng failed or is missing: run `make test`, or `apt-get install espeak-ng`")
        }
    }
}
