#!/usr/bin/env bash
# CI smoke test: build every harness and fuzz each for ~60 s (FUZZ_SMOKE_SECONDS).
# Exits 0 with a message when the toolchain cannot build libFuzzer binaries (e.g. macOS
# Xcode toolchains, which lack -sanitize=fuzzer); non-zero when a harness finds a crash,
# hang, OOM or sanitizer report (the input is in Fuzz/artifacts/TARGET/).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${FUZZ_SMOKE_SECONDS:-60}"
swiftc="${SWIFTC:-swiftc}"
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '@_cdecl("LLVMFuzzerTestOneInput") public func f(_ d: UnsafePointer<UInt8>, _ n: Int) -> Int32 { 0 }\n' > "$probe/p.swift"
if ! "$swiftc" -sanitize=fuzzer,address -parse-as-library "$probe/p.swift" -o "$probe/p" >/dev/null 2>&1; then
  echo "fuzz smoke: skipped, this toolchain cannot build libFuzzer binaries (swiftc -sanitize=fuzzer)"
  exit 0
fi
status=0
for target in png tiff onnx calibration; do
  echo "== fuzz smoke: $target (${seconds}s)"
  if ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" "$here/run.sh" "$target" "$seconds" > "$probe/$target.log" 2>&1; then
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec)|DONE" "$probe/$target.log" | tail -3
  else
    echo "fuzz smoke: $target FAILED"; tail -40 "$probe/$target.log"; status=1
  fi
done
exit $status
