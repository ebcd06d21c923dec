import ArgumentParser

@main
struct Jestry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jestry",
        abstract: "The Jestry interview engine: AI interview practice over WebSockets.",
        subcommands: [Serve.self, Bot.self, PromptsCommand.self, Minutes.self, Bench.self, ConfigCommand.self]
    )
}
