import ArgumentParser
import Bot
import EngineClient
import Foundation

struct Bot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a scripted candidate over the real WebSocket and print the interview.",
        discussion: """
            Sign in with --token (or JESTRY_TOKEN), or with --email and JESTRY_PASSWORD. With --signup the bot first \
            creates that account (for demos and load runs).
            """)

    @Option(help: "The bot script (YAML or JSON).")
    var script: String?
    @Option(help: "A persona file (YAML: name, track, persona, max_answers): a model plays the candidate; needs --model-url.")
    var persona: String?
    @Option(help: "The OpenAI-compatible model service that plays the persona (key in JESTRY_MODEL_KEY). [env: JESTRY_MODEL_URL]")
    var modelURL: String?
    @Option(help: "The model to ask for. [env: JESTRY_MODEL_NAME, default \"default\"]")
    var modelName: String?
    @Option(help: "The interview WebSocket, e.g. ws://localhost:8080/v1/interview.")
    var url: String = "ws://localhost:8080/v1/interview"
    @Option(help: "A bearer token from POST /v1/login. [env: JESTRY_TOKEN]")
    var token: String?
    @Option(help: "Sign in with this email (password from JESTRY_PASSWORD).")
    var email: String?
    @Flag(help: "Create the account first (name \"Bot\", born 1990-01-01).")
    var signup = false

    func run() throws {
        let loaded: BotScript
        let scriptURL: URL
        var answerer: PersonaAnswerer?
        switch (script, persona) {
        case (let script?, nil):
            scriptURL = URL(fileURLWithPath: script)
            loaded = try BotScript.load(from: scriptURL)
        case (nil, let persona?):
            scriptURL = URL(fileURLWithPath: persona)
            let played = try BotPersona.load(from: scriptURL)
            guard let provider = try ModelOptions.provider(url: modelURL, name: modelName) else {
                throw ValidationError("--persona needs --model-url (or JESTRY_MODEL_URL): a model plays the candidate")
            }
            loaded = played.script
            answerer = PersonaAnswerer(persona: played, provider: provider)
        default:
            throw ValidationError("give either --script FILE or --persona FILE --model-url URL")
        }
        guard let socketURL = URL(string: url), let host = socketURL.host else {
            throw ValidationError("--url must look like ws://localhost:8080/v1/interview")
        }
        let scheme = socketURL.scheme == "wss" ? "https" : "http"
        let api = HTTPClient(baseURL: URL(string: "\(scheme)://\(host)\(socketURL.port.map { ":\($0)" } ?? "")/")!)
        let bearer = try token ?? Environment.value("JESTRY_TOKEN") ?? signIn(api)
        let client = try WebSocketClient(url: socketURL, headers: [("Authorization", "Bearer \(bearer)")])
        var runner = BotRunner(script: loaded, scriptFolder: scriptURL.deletingLastPathComponent())
        if let answerer { runner.answerer = { answerer.answer($0, conversation: $1) } }
        runner.onLine = { line in
            if case .feedback = line { return }  // too chatty for a transcript
            Console.line("\(line)")
        }
        let lines = try runner.run(on: client)
        client.shutdown()
        let ended = lines.contains { if case .ended = $0 { true } else { false } }
        if !ended { throw ExitCode.failure }
    }

    private func signIn(_ api: HTTPClient) throws -> String {
        guard let email, let password = Environment.value("JESTRY_PASSWORD") else {
            throw ValidationError("give --token (or JESTRY_TOKEN), or --email with the password in JESTRY_PASSWORD")
        }
        if signup {
            let created = try api.send("POST", "v1/accounts",
                                       body: ["name": "Bot", "email": email, "password": password, "birth_date": "1990-01-01"])
            guard created.status == 201 || created.status == 409 else {
                throw ValidationError("signup failed (\(created.status)): \(String(decoding: created.body, as: UTF8.self))")
            }
        }
        guard let token = try api.login(email: email, password: password) else {
            throw ValidationError("sign-in failed for \(email): wrong email or password")
        }
        return token
    }
}
