import Foundation

/// One reading of another process's CPU time and memory from /proc (Linux).
public struct ProcessUsage: Sendable, Equatable {
    /// User plus system CPU time, in seconds.
    public var cpuSeconds: Double
    /// Resident memory now (VmRSS), in KiB.
    public var rssKiB: Int
    /// The most resident memory the process ever had (VmHWM), in KiB.
    public var peakRSSKiB: Int

    /// Reads `/proc/PID/stat` and `/proc/PID/status`; nil when the process is gone or unreadable.
    public static func read(pid: Int32) -> ProcessUsage? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let cpu = cpuSeconds(stat: stat) else { return nil }
        return ProcessUsage(cpuSeconds: cpu, rssKiB: kibibytes("VmRSS", in: status) ?? 0, peakRSSKiB: kibibytes("VmHWM", in: status) ?? 0)
    }

    /// utime + stime (fields 14 and 15) in seconds. The command name (field 2) may hold spaces and parentheses,
    /// so fields are counted from the last ')'.
    static func cpuSeconds(stat: String) -> Double? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func kibibytes(_ key: String, in status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.dropFirst(key.count + 1).split(whereSeparator: \.isWhitespace).first ?? "")
        }
        return nil
    }
}
