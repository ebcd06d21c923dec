import CCurl
import Foundation

/// One request as a curl easy handle, with the callbacks that feed its `TransferStateMachine`. Used only on the
/// client's I/O thread; the loop keeps it alive while curl has its handle.
final class CurlTransfer {
    let id: UInt64
    let request: OutboundRequest
    let receiver: any OutboundReceiver
    var machine: TransferStateMachine
    private(set) var handle: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))

    init(id: UInt64, request: OutboundRequest, receiver: any OutboundReceiver, startedNs: UInt64) {
        self.id = id
        self.request = request
        self.receiver = receiver
        machine = TransferStateMachine(limits: request.limits, startedNs: startedNs)
        errorBuffer.initialize(to: 0)
    }

    deinit {
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Makes the easy handle; the reason when curl will not take the request.
    func prepare() -> OutboundFailure? {
        guard let handle = curl_easy_init() else { return .transport("curl_easy_init failed") }
        self.handle = handle
        let context = Unmanaged.passUnretained(self).toOpaque()
        var codes = [
            jestry_curl_setopt_string(handle, CURLOPT_URL, request.url.absoluteString),
            // Only these two: a URL from a configuration file never reads local files or speaks another protocol.
            jestry_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"),
            // One request per connection at a time (no HTTP/2 multiplexing): cancelling closes the connection,
            // which every model server understands as "stop generating".
            jestry_curl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1)),
            jestry_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
            jestry_curl_setopt_string(handle, CURLOPT_USERAGENT, "jestry"),
            jestry_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer),
            jestry_curl_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, curlBodyReceived),
            jestry_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context),
            jestry_curl_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, curlHeaderReceived),
            jestry_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context),
        ]
        // No `Expect: 100-continue` round trip before a large body (a recording): the services answer at once.
        var headers = request.headers.map { "\($0.name): \($0.value)" } + ["Expect:"]
        if let token = request.bearerToken { headers.append("Authorization: Bearer \(token)") }
        for header in headers { headerList = curl_slist_append(headerList, header) }
        codes.append(jestry_curl_setopt_list(handle, CURLOPT_HTTPHEADER, headerList))
        switch request.method {
        case .get:
            codes.append(jestry_curl_setopt_long(handle, CURLOPT_HTTPGET, 1))
        case .post:
            let body = request.body ?? Data()
            codes.append(jestry_curl_setopt_long(handle, CURLOPT_POST, 1))
            codes.append(jestry_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            codes.append(body.withUnsafeBytes {  // curl copies it: the request can go
                jestry_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress ?? UnsafeRawPointer(errorBuffer)))
            })
        }
        guard let refused = codes.first(where: { $0 != CURLE_OK }) else { return nil }
        return .transport("curl refused the request: \(String(cString: curl_easy_strerror(refused)))")
    }

    /// Frees the easy handle; curl must no longer hold it.
    func release() {
        curl_easy_cleanup(handle)
        handle = nil
    }

    /// What curl's verdict on a transfer means, nil for a whole response.
    func failure(for code: CURLcode) -> OutboundFailure? {
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OK: return nil
        case CURLE_WRITE_ERROR: return .stopped
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT: return .couldNotConnect(detail)
        default: return .transport(detail)
        }
    }

    fileprivate func headerReceived(_ bytes: UnsafeMutablePointer<CChar>?, count: Int) -> Int {
        let line = bytes.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: count), as: UTF8.self) } ?? ""
        switch machine.headerLineReceived(line, atNs: CurlMultiLoop.nowNs) {
        case .proceed:
            return count
        case .deliverHead(let status):
            guard receiver.headReceived(status: status) == .proceed else { return stop() }
            return count
        case .abort:
            return jestry_curl_writefunc_error()
        }
    }

    fileprivate func bodyReceived(_ bytes: UnsafeMutablePointer<CChar>?, count: Int) -> Int {
        switch machine.bodyReceived(count: count, atNs: CurlMultiLoop.nowNs) {
        case .deliver:
            let chunk = bytes.map { Data(bytes: $0, count: count) } ?? Data()
            guard receiver.bodyReceived(chunk) == .proceed else { return stop() }
            return count
        case .abort:
            return jestry_curl_writefunc_error()
        }
    }

    private func stop() -> Int {
        machine.receiverStopped()
        return jestry_curl_writefunc_error()
    }
}

// curl's callbacks: C functions that find their transfer through the context pointer.

private func curlBodyReceived(_ bytes: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                              _ context: UnsafeMutableRawPointer?) -> Int {
    Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().bodyReceived(bytes, count: size * count)
}

private func curlHeaderReceived(_ bytes: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                                _ context: UnsafeMutableRawPointer?) -> Int {
    Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().headerReceived(bytes, count: size * count)
}
