import ArgumentParser

struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "calibrate", abstract: "(being built)")
    func run() async throws { throw ValidationError("'calibrate' is not built yet") }
}
