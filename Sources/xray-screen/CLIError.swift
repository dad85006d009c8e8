/// Errors the command line reports before or around a batch (a single bad scan is
/// reported in the batch's report instead, and the batch goes on).
enum CLIError: Error, CustomStringConvertible {
    case usage(String)
    case input(String)
    case output(String)

    var description: String {
        switch self {
        case .usage(let m): return "usage: \(m)"
        case .input(let m): return m
        case .output(let m): return "cannot write output: \(m)"
        }
    }
}
