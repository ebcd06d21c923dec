import CWebSockets
import Foundation

/// Session videos on a service thread: the largest request bodies (chunks), and whole-file playback.
extension ServiceLoop {
    /// The largest body a request to `path` may carry: a video chunk, or the API's usual limit.
    func bodyLimit(path: String) -> Int {
        VideoRecordingFiles.isChunkPath(path) ? configuration.maxVideoChunkBytes : configuration.maxHTTPBodyBytes
    }

    /// The 413 for a body declared larger than `bodyLimit(path:)`.
    func bodyTooLarge(path: String, declaredLength: Int) -> HTTPResponse {
        let limit = bodyLimit(path: path)
        var response = VideoRecordingFiles.isChunkPath(path)
            ? HTTPResponse.error(413, "chunk_too_large", "This chunk is \(declaredLength) bytes; a video chunk may have \(limit). Record shorter chunks (about a second each).")
            : HTTPResponse.error(413, "body_too_large", "The request body is \(declaredLength) bytes; the limit is \(limit).")
        response.closeConnection = true
        return response
    }

    /// A whole-video GET or HEAD (no single `Range`) goes to `serveVideo`; with one, the API answers a part of it.
    func wholeVideoSessionID(method: String, path: String, wsi: OpaquePointer) -> String? {
        guard method == "GET" || method == "HEAD", let sessionID = VideoRecordingFiles.sessionID(playbackPath: path),
              ByteRange.parse(LWS.header(wsi, WSI_TOKEN_HTTP_RANGE)) == nil else { return nil }
        return sessionID
    }

    /// Streams the whole video to its owner with `lws_serve_http_file`, so a long one is never held in memory (as
    /// the audio recording is served). The checks are two primary-key reads and a four-byte read of the file's
    /// EBML header; what is not WebM is never served.
    func serveVideo(_ wsi: OpaquePointer, sessionID: String) -> Int32 {
        let method = LWS.method(wsi)
        let path = VideoRecordingFiles.urlPath(forSession: sessionID)
        let token = Credentials.token(authorization: LWS.header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION),
                                      cookie: LWS.header(wsi, WSI_TOKEN_HTTP_COOKIE))
        guard let token, let accountID = try? services.store.accountID(forToken: token, at: configuration.clock()) else {
            respondAlone(wsi, method: method, path: path, .error(401, "unauthorized",
                                                                 "Sign in first: send the token from POST /v1/login as \"Authorization: Bearer …\" or the session cookie."))
            return 0
        }
        // Someone else's session, a session without a video and a file that is not WebM all look the same: 404.
        guard let file = try? services.routes.playableVideo(sessionID, accountID: accountID) else {
            respondAlone(wsi, method: method, path: path, .error(404, "not_found", "There is no video for session \(sessionID.prefix(64))."))
            return 0
        }
        let headers = Array("cache-control: no-store\r\nx-content-type-options: nosniff\r\naccept-ranges: bytes\r\n".utf8CString)
        let status = lws_serve_http_file(wsi, file.path, VideoRecordingFiles.contentType, headers, Int32(headers.count - 1))
        if status < 0 { return -1 }
        if status > 0 && lws_http_transaction_completed(wsi) != 0 { return -1 }
        return 0
    }
}
