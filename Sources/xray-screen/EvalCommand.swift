import ArgumentParser

struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "(being built)")
    func run() async throws { throw ValidationError("'eval' is not built yet") }
}
