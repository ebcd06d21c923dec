import Foundation
import Interview
import Store

/// What people can do with their own data: read their history, export everything, delete sessions.
extension APIRoutes {
    func sessionList(_ accountID: String) throws -> HTTPResponse {
        let sessions = try store.sessions(accountID: accountID).map { listingView($0) }
        return .json(200, ["sessions": sessions])
    }

    func sessionDetail(_ id: String, accountID: String) throws -> HTTPResponse {
        // Another account's session looks exactly like a missing one: 404, never 403.
        guard RecordingFiles.isSafeIdentifier(id), let detail = try store.session(id: id, accountID: accountID) else {
            return sessionNotFound(id)
        }
        return .json(200, try detailView(detail, accountID: accountID))
    }

    func deleteSession(_ id: String, accountID: String) throws -> HTTPResponse {
        guard RecordingFiles.isSafeIdentifier(id) else { return sessionNotFound(id) }
        switch try store.deleteSession(id: id, accountID: accountID) {
        case .notFound:
            return sessionNotFound(id)
        case .running:
            return .error(409, "session_running", "This interview is still running; end it, then delete it.")
        case .deleted:
            do {
                try video.afterPendingAppends { try RecordingFiles.remove(forSession: id, dataDirectory: configuration.dataDirectory) }
            } catch {
                logger.error("could not delete a recording", metadata: ["session.id": "\(id)", "error": "\(error)"])
                return .error(500, "internal_error", "The session was deleted, but its recording could not be; please try again.")
            }
            logger.info("session deleted", metadata: ["session.id": "\(id)"])
            return .json(200, DeletedSessionView(deleted: true, id: id))
        }
    }

    /// GET /v1/export: everything stored about the account, in one JSON document (docs/PROTOCOL.md §8).
    func export(_ accountID: String) throws -> HTTPResponse {
        guard let data = try store.exportData(accountID: accountID) else {
            return .error(401, "unauthorized", "This account no longer exists.")
        }
        var response = HTTPResponse.json(200, ExportView(
            exportedAt: now, account: ExportView.AccountData(data.account), ledger: data.ledger, payments: data.payments,
            sessions: try data.sessions.map { try detailView($0, accountID: accountID) }, signIns: data.tokens))
        response.headers.append((name: "content-disposition:", value: "attachment; filename=\"jestry-export.json\""))
        return response
    }

    func ledger(_ accountID: String) throws -> HTTPResponse {
        let entries = try store.ledger(accountID: accountID)
        return .json(200, LedgerView(balanceMs: entries.reduce(0) { $0 + $1.amountMs }, entries: entries))
    }

    func products() -> HTTPResponse {
        let list = configuration.products.keys.sorted().compactMap { id in
            configuration.productMs(id).map { ProductView(id: id, minutes: configuration.products[id]!, ms: $0) }
        }
        return .json(200, ["products": list])
    }

    private func sessionNotFound(_ id: String) -> HTTPResponse {
        .error(404, "not_found", "There is no session \(id.prefix(64)) in your history.")
    }

    func listingView(_ listing: SessionListing) -> SessionListingView {
        let hasRecording = RecordingFiles.exists(forSession: listing.id, dataDirectory: configuration.dataDirectory)
        let hasVideo = VideoRecordingFiles.exists(forSession: listing.id, dataDirectory: configuration.dataDirectory)
        return SessionListingView(listing: listing,
                                  recordingURL: hasRecording ? RecordingFiles.urlPath(forSession: listing.id) : nil,
                                  videoURL: hasVideo ? VideoRecordingFiles.urlPath(forSession: listing.id) : nil)
    }

    func detailView(_ detail: SessionDetail, accountID: String) throws -> SessionDetailView {
        SessionDetailView(session: listingView(detail.session), detail: detail, video: try videoView(detail, accountID: accountID))
    }
}

/// A session as listed: the store's fields plus `recording_url` and `video_url` when there are recordings.
struct SessionListingView: Encodable {
    var listing: SessionListing
    var recordingURL: String?
    var videoURL: String? = nil

    enum CodingKeys: String, CodingKey {
        case recordingURL = "recording_url", videoURL = "video_url"
    }

    func encode(to encoder: any Encoder) throws {
        try listing.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(recordingURL, forKey: .recordingURL)
        try container.encodeIfPresent(videoURL, forKey: .videoURL)
    }
}

/// A session with everything stored about it: the store's `SessionDetail` with `session.recording_url` and
/// `session.video_url` added, and `video` (its offsets per turn) when there is a video.
struct SessionDetailView: Encodable {
    var session: SessionListingView
    var detail: SessionDetail
    var video: SessionVideoView? = nil

    enum CodingKeys: String, CodingKey {
        case session, video
    }

    func encode(to encoder: any Encoder) throws {
        try detail.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(session, forKey: .session)
        try container.encodeIfPresent(video, forKey: .video)
    }
}

struct DeletedSessionView: Encodable {
    var deleted: Bool
    var id: String
}

struct LedgerView: Encodable {
    var balanceMs: Int64
    var entries: [LedgerEntry]

    enum CodingKeys: String, CodingKey {
        case balanceMs = "balance_ms", entries
    }
}

struct ProductView: Encodable {
    var id: String
    var minutes: Double
    var ms: Int64

    enum CodingKeys: String, CodingKey {
        case id, minutes, ms = "minutes_ms"
    }
}

/// The export document, version 1 (docs/PROTOCOL.md §8).
struct ExportView: Encodable {
    struct AccountData: Encodable {
        var id: String
        var name: String
        var email: String
        var birthDate: String
        var createdAt: Date
        var balanceMs: Int64
        var modelProcessing: Bool

        init(_ account: Account) {
            modelProcessing = account.modelProcessing
            id = account.id
            name = account.name
            email = account.email
            birthDate = account.birthDate
            createdAt = account.createdAt
            balanceMs = account.balanceMs
        }

        enum CodingKeys: String, CodingKey {
            case id, name, email, birthDate = "birth_date", createdAt = "created_at", balanceMs = "balance_ms"
            case modelProcessing = "model_processing"
        }
    }

    var format = "jestry.account-export"
    var version = 1
    var exportedAt: Date
    var account: AccountData
    var ledger: [LedgerEntry]
    var payments: [PaymentReceipt]
    var sessions: [SessionDetailView]
    var signIns: [TokenInfo]

    enum CodingKeys: String, CodingKey {
        case format, version, exportedAt = "exported_at", account, ledger, payments, sessions, signIns = "sign_ins"
    }
}
