import CWebSockets
import Foundation

extension HTTPRequest {
    /// Copies what the API needs out of libwebsockets' header table. Service thread only.
    /// `serverPort`: the port the engine listens on.
    static func read(from wsi: OpaquePointer, method: String, path: String, serverPort: Int) -> HTTPRequest {
        var request = HTTPRequest(method: method, path: path,
                                  authorization: LWS.header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION),
                                  cookie: LWS.header(wsi, WSI_TOKEN_HTTP_COOKIE))
        request.origin = LWS.header(wsi, WSI_TOKEN_ORIGIN)
        request.host = LWS.header(wsi, WSI_TOKEN_HOST)
        request.webhookSignature = LWS.customHeader(wsi, "jestry-signature:")
        request.peerAddress = LWS.peerAddress(wsi)
        request.serverPort = serverPort
        request.range = LWS.header(wsi, WSI_TOKEN_HTTP_RANGE)
        request.declaredContentLength = Int(LWS.header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) ?? "0") ?? 0
        return request
    }
}

extension LWS {
    /// A header libwebsockets has no token for; `name` is lower-case with its colon, e.g. `"jestry-signature:"`.
    static func customHeader(_ wsi: OpaquePointer, _ name: String) -> String? {
        let nameBytes = Array(name.utf8)
        let length = Int(nameBytes.withUnsafeBufferPointer {
            lws_hdr_custom_length(wsi, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), Int32($0.count))
        })
        guard length > 0, length < 8192 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        let copied = nameBytes.withUnsafeBufferPointer {
            lws_hdr_custom_copy(wsi, &buffer, Int32(buffer.count),
                                UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), Int32($0.count))
        }
        guard copied >= 0 else { return nil }
        return String(decoding: buffer.prefix(Int(copied)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The peer's numeric address, without a reverse DNS lookup.
    static func peerAddress(_ wsi: OpaquePointer) -> String? {
        var buffer = [CChar](repeating: 0, count: 128)
        guard lws_get_peer_simple(wsi, &buffer, buffer.count) != nil else { return nil }
        let address = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return address.isEmpty ? nil : address
    }

}
