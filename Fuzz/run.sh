#!/usr/bin/env bash
# Build one libFuzzer harness with ASan + coverage (the root package's Swift *and* C
# targets are instrumented) and run it.
#   Fuzz/run.sh TARGET SECONDS [extra libFuzzer args...]
#   TARGET: png | tiff | onnx | calibration
# Crashes, timeouts and OOM inputs land in Fuzz/artifacts/TARGET/; the working corpus
# in Fuzz/scratch/corpus/TARGET (the committed seeds in Fuzz/corpus/TARGET are read only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${1:?usage: run.sh png|tiff|onnx|calibration SECONDS [libFuzzer args]}"
seconds="${2:-60}"
shift 2 || shift $#
case "$target" in
  png) product=FuzzPNG ;;
  tiff) product=FuzzTIFF ;;
  onnx) product=FuzzONNX ;;
  calibration) product=FuzzCalibration ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
swift="${SWIFT:-swift}"
# -sanitize=fuzzer on the Swift side instruments every Swift module (including
# swift-protobuf) and links libFuzzer's main; -fsanitize=fuzzer-no-link for clang
# instruments CCodecs without a second main.
"$swift" build --package-path "$here/Harnesses" -c release --product "$product" \
  -Xswiftc -sanitize=fuzzer,address \
  -Xcc -fsanitize=fuzzer-no-link,address 2>&1 | grep -v "ld.gold: warning: Cannot export local symbol" >&2
bin="$("$swift" build --package-path "$here/Harnesses" -c release --show-bin-path)/$product"
[ -x "$bin" ] || { echo "build of $product failed" >&2; exit 1; }
[ "${XRAY_FUZZ_BUILD_ONLY:-0}" = 1 ] && { echo "$bin"; exit 0; }
work="$here/scratch/corpus/$target"; art="$here/artifacts/$target"
mkdir -p "$work" "$art"
dict=(); [ -f "$here/dict/$target.dict" ] && dict=(-dict="$here/dict/$target.dict")
seeds=(); [ -d "$here/corpus/$target" ] && seeds=("$here/corpus/$target")
exec "$bin" "$work" "${seeds[@]}" "${dict[@]}" -max_total_time="$seconds" -timeout=2 -rss_limit_mb=2048 \
  -artifact_prefix="$art/" -print_final_stats=1 "$@"
