import ArgumentParser

@main
struct XRayScreenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xray-screen",
        abstract: "Flag suspect regions in X-ray scans of baggage and cargo.",
        discussion: """
        Exit status of `scan`: 0 nothing flagged, 1 at least one scan flagged, 2 at least one \
        scan failed or the command could not run.
        """,
        subcommands: [ScanCommand.self, CalibrateCommand.self, EvalCommand.self, BenchCommand.self,
                      SynthCommand.self, InfoCommand.self]
    )
}
