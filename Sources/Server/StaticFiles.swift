import Foundation

/// Maps request paths to files under web-static/, refusing anything outside it.
struct StaticFiles: Sendable {
    let root: URL

    /// The file to serve for a path, or nil when there is none.
    func file(for path: String) -> (path: String, mimeType: String)? {
        let decoded = path.removingPercentEncoding ?? path
        guard !decoded.contains("\0"), !decoded.split(separator: "/").contains("..") else { return nil }
        var relative = decoded
        if relative.hasSuffix("/") { relative += "index.html" }
        let candidate = root.appendingPathComponent(String(relative.drop { $0 == "/" })).standardizedFileURL
        let rootPath = root.standardizedFileURL.path
        guard candidate.path.hasPrefix(rootPath + "/") else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return nil
        }
        return (candidate.path, Self.mimeType(candidate.pathExtension))
    }

    static func mimeType(_ fileExtension: String) -> String {
        switch fileExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "wav": "audio/wav"
        case "txt": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
