import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reading a child process's pipe without Foundation's traps: on Linux `FileHandle.availableData` and
/// `readDataToEndOfFile()` end the whole test process with a fatal error when a read is interrupted by a signal
/// (EINTR), and every child that exits sends one (SIGCHLD) while the suites run side by side. These retry instead.
public enum PipeReading {
    /// The next bytes from `handle`, waiting for some; empty at the end of the stream.
    public static func nextChunk(_ handle: FileHandle) -> Data {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = read(handle.fileDescriptor, &buffer, buffer.count)
            if count >= 0 { return Data(buffer[0..<count]) }
            if errno != EINTR { return Data() }
        }
    }

    /// Everything from `handle` until the other end closes it.
    public static func toEnd(_ handle: FileHandle) -> Data {
        var data = Data()
        while true {
            let chunk = nextChunk(handle)
            if chunk.isEmpty { return data }
            data.append(chunk)
        }
    }
}
