import ArgumentParser
import Foundation

@main
struct XRayScreenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xray-screen",
        abstract: "Flag suspect regions in X-ray scans of baggage and cargo.",
        discussion: """
        Exit status of `scan`: 0 nothing flagged, 1 at least one scan flagged, 2 at least one \
        scan failed or the command could not run. Every command exits with 2 when it cannot run \
        (bad arguments, missing model, unreadable input, unwritable output).
        """,
        subcommands: [ScanCommand.self, CalibrateCommand.self, EvalCommand.self, BenchCommand.self,
                      SynthCommand.self, InfoCommand.self]
    )

    /// As ArgumentParser's own entry point, except that every error (usage errors included) exits
    /// with status 2, keeping 1 for "flagged": scripts can tell the two apart.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if error is ExitCode || exitCode(for: error) == .success { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}
