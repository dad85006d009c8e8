#!/usr/bin/env bash
# Regenerates Sources/XRayEngine/ONNX/onnx.pb.swift from the vendored onnx.proto.
#
# onnx.proto is copied from the python `onnx` package (1.23.2):
#   cp "$(python3 -c 'import onnx,os;print(os.path.dirname(onnx.__file__))')/onnx.proto" \
#      Sources/XRayEngine/ONNX/Protos/onnx.proto
#
# protoc-gen-swift must match the SwiftProtobuf runtime pinned in Package.swift (1.39.0):
#   git clone https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   (cd /tmp/swift-protobuf && git checkout 1.39.0 && swift build -c release --product protoc-gen-swift)
set -euo pipefail
cd "$(dirname "$0")/.."
PLUGIN="${PROTOC_GEN_SWIFT:-/tmp/swift-protobuf/.build/release/protoc-gen-swift}"
protoc \
  --plugin=protoc-gen-swift="$PLUGIN" \
  --proto_path=Sources/XRayEngine/ONNX/Protos \
  --swift_opt=Visibility=Internal \
  --swift_out=Sources/XRayEngine/ONNX \
  onnx.proto
echo "wrote Sources/XRayEngine/ONNX/onnx.pb.swift"
