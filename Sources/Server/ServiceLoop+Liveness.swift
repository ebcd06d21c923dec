import CWebSockets
import Foundation

/// The liveness check of this thread's interview connections (`Liveness`): a sweep once a second from the thread's
/// one timer, a ping where a client has gone quiet, a hang-up where it stayed quiet.
extension ServiceLoop {
    /// What the ping carries. Not empty: a client's pong echoes it (RFC 6455 §5.5.3), and libwebsockets 4.1 reports no
    /// pong without a payload, so an empty ping's answer would not count.
    static let pingPayload = Data("jestry".utf8)

    func pongReceived(_ wsi: OpaquePointer) -> Int32 {
        interviews[wsi]?.liveness.heard(at: now.monotonicMs)
        return 0
    }

    /// O(connections) once a second; nothing per frame but the time of the last one.
    func checkLiveness(at nowMs: Int64) {
        for connection in interviews.values {
            switch connection.liveness.check(at: nowMs) {
            case .alive:
                break
            case .ping:
                connection.pingDue = true
                lws_callback_on_writable(connection.wsi)
            case .hangUp:
                // No close frame (lws closes with no status): to the client this is a lost network, 1006. The
                // socket's close then parks a live session for resume, as after any drop.
                lws_set_timeout(connection.wsi, PENDING_TIMEOUT_USER_OK, jestry_timeout_kill_async())
            }
        }
    }
}
