import CWebSockets
import Foundation

/// Thin, safe wrappers over the libwebsockets calls the server makes. Service thread only.
enum LWS {
    static let pre = Int(jestry_lws_pre())

    /// A request header, or nil when absent.
    static func header(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> String? {
        let length = Int(lws_hdr_total_length(wsi, token))
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_copy(wsi, &buffer, Int32(buffer.count), token) >= 0 else { return nil }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The request method, from whichever method-URI token libwebsockets filled in.
    static func method(_ wsi: OpaquePointer) -> String {
        let methods: [(lws_token_indexes, String)] = [
            (WSI_TOKEN_GET_URI, "GET"), (WSI_TOKEN_POST_URI, "POST"), (WSI_TOKEN_PATCH_URI, "PATCH"),
            (WSI_TOKEN_PUT_URI, "PUT"), (WSI_TOKEN_DELETE_URI, "DELETE"), (WSI_TOKEN_OPTIONS_URI, "OPTIONS"),
            (WSI_TOKEN_HEAD_URI, "HEAD"),
        ]
        return methods.first { lws_hdr_total_length(wsi, $0.0) > 0 }?.1 ?? "UNKNOWN"
    }

    /// Writes the status line and headers. Returns false when libwebsockets refused (the connection is closing).
    static func writeHeaders(_ wsi: OpaquePointer, _ response: HTTPResponse) -> Bool {
        let extra = response.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        var buffer = [UInt8](repeating: 0, count: pre + 1024 + extra)
        return buffer.withUnsafeMutableBufferPointer { raw -> Bool in
            let start = raw.baseAddress! + pre
            let end = raw.baseAddress! + raw.count - 1
            var cursor: UnsafeMutablePointer<UInt8>? = start
            guard lws_add_http_common_headers(wsi, response.status, response.contentType, lws_filepos_t(response.body.count),
                                              &cursor, end) == 0 else { return false }
            var headers = response.headers
            if response.closeConnection { headers.append((name: "connection:", value: "close")) }
            headers.append((name: "cache-control:", value: "no-store"))
            headers.append((name: "x-content-type-options:", value: "nosniff"))
            for header in headers {
                let name = Array(header.name.utf8) + [0]
                let value = Array(header.value.utf8)
                guard lws_add_http_header_by_name(wsi, name, value, Int32(value.count), &cursor, end) == 0 else { return false }
            }
            return lws_finalize_write_http_header(wsi, start, &cursor, end) == 0
        }
    }

    /// Writes a whole HTTP body as the final part of the response.
    static func writeBody(_ wsi: OpaquePointer, _ body: Data) -> Bool {
        write(wsi, body, LWS_WRITE_HTTP_FINAL)
    }

    /// One `lws_write` with the `LWS_PRE` headroom it needs.
    static func write(_ wsi: OpaquePointer, _ payload: Data, _ protocolKind: lws_write_protocol) -> Bool {
        // Through the buffer pointer, never `&buffer[pre]`: an empty payload (a HEAD response) has no byte there.
        var buffer = [UInt8](repeating: 0, count: pre + payload.count)
        let written = buffer.withUnsafeMutableBufferPointer { raw -> Int32 in
            let start = raw.baseAddress! + pre
            payload.copyBytes(to: start, count: payload.count)
            return lws_write(wsi, start, payload.count, protocolKind)
        }
        return written >= payload.count
    }

    /// Sets the close code and reason that the next `return -1` sends.
    static func setCloseReason(_ wsi: OpaquePointer, code: UInt16, reason: String) {
        var bytes = Array(reason.utf8.prefix(120))
        lws_close_reason(wsi, lws_close_status(UInt32(code)), &bytes, bytes.count)
    }
}
