import CWebSockets
import Logging

/// Routes libwebsockets' own errors and warnings into swift-log.
enum LWSLogBridge {
    static func install() {
        lws_set_log_level(Int32(LLL_ERR | LLL_WARN), lwsLogEmit)
    }
}

private let lwsLogger = Logger(label: "jestry.lws")

private func lwsLogEmit(_ level: Int32, _ line: UnsafePointer<CChar>?) {
    guard let line else { return }
    let text = String(cString: line).trimmingCharacters(in: .whitespacesAndNewlines)
    if level & Int32(LLL_ERR) != 0 {
        lwsLogger.error("\(text)")
    } else {
        lwsLogger.warning("\(text)")
    }
}
