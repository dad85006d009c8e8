// The entry point every harness shares. SwiftPM links an executable with
// `--defsym main=<Target>_main`, so libFuzzer's own main() is never used: each harness
// hands control to libFuzzer's driver instead (which also calls LLVMFuzzerInitialize).
import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

/// Runs libFuzzer with the process's arguments, feeding each input to `target`, and exits.
public func runFuzzer(_ target: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, target))
}
