import Foundation
import SwiftProtobuf

/// Lowest and highest default-domain opset versions the engine accepts.
let supportedOpsetRange = 7...23

/// Converts an ONNX `ModelProto` into the engine's graph representation.
struct ONNXLoader {
    /// Directory holding external data files, if the model was loaded from a file.
    var baseDirectory: URL?

    struct Loaded {
        var graph: GraphIR
        var opsetVersion: Int
        var metadata: [String: String]
        var producer: String
        var irVersion: Int
    }

    func load(data: Data) throws -> Loaded {
        let proto: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            proto = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw EngineError.malformedModel(reason: "protobuf decoding failed (\(error))")
        }
        guard proto.hasGraph, proto.irVersion > 0 else {
            throw EngineError.malformedModel(reason: "no graph or IR version; not an ONNX model")
        }
        var opset = -1
        for imp in proto.opsetImport {
            switch imp.domain {
            case "", "ai.onnx":
                opset = Int(imp.version)
            case "ai.onnx.ml", "ai.onnx.preview.training", "ai.onnx.training":
                continue  // only used if a node uses the domain; nodes are checked individually
            default:
                continue
            }
        }
        if opset < 0 {
            throw EngineError.malformedModel(reason: "no opset import for the default ONNX domain")
        }
        guard supportedOpsetRange.contains(opset) else {
            throw EngineError.unsupportedOpset(domain: "", version: opset)
        }
        var metadata: [String: String] = [:]
        for p in proto.metadataProps { metadata[p.key] = p.value }
        let graph = try convertGraph(proto.graph)
        return Loaded(graph: graph, opsetVersion: opset, metadata: metadata,
                      producer: proto.producerName + (proto.producerVersion.isEmpty ? "" : " " + proto.producerVersion),
                      irVersion: Int(proto.irVersion))
    }

    func convertGraph(_ g: Onnx_GraphProto) throws -> GraphIR {
        var constants: [String: HostTensor] = [:]
        for t in g.initializer {
            constants[t.name] = try decodeTensor(t)
        }
        if !g.sparseInitializer.isEmpty {
            throw EngineError.unsupported(reason: "sparse initialisers")
        }
        var inputs: [ValueDeclaration] = []
        for vi in g.input where constants[vi.name] == nil {
            inputs.append(try declaration(vi))
        }
        let outputs = try g.output.map { try declaration($0) }
        var nodes: [GraphNode] = []
        for (index, n) in g.node.enumerated() {
            let name = n.name.isEmpty ? "\(n.opType)_\(index)" : n.name
            if !(n.domain.isEmpty || n.domain == "ai.onnx") {
                throw EngineError.unsupportedOperator(node: name, op: "\(n.domain).\(n.opType)")
            }
            var attrs: [String: AttributeValue] = [:]
            for a in n.attribute {
                attrs[a.name] = try convertAttribute(a)
            }
            nodes.append(GraphNode(name: name, opType: n.opType, domain: n.domain,
                                   inputs: n.input, outputs: n.output, attributes: attrs))
        }
        // ONNX graphs are in SSA form: every value is defined once, by a graph input, an
        // initializer or one node output. Why it is enforced: a node that redefined a graph
        // input (found by fuzzing: `x = ReduceMean(x)`) made the session bind the input slot
        // to the smaller node output's arena buffer, and `run` then wrote past the arena.
        var defined = Set(constants.keys)
        for d in inputs where !defined.insert(d.name).inserted {
            throw EngineError.malformedModel(reason: "graph input '\(d.name)' is declared twice")
        }
        for n in nodes {
            for o in n.outputs where !o.isEmpty && !defined.insert(o).inserted {
                throw EngineError.malformedModel(reason: "node '\(n.name)' (\(n.opType)) redefines value '\(o)'; ONNX values are assigned once")
            }
        }
        return GraphIR(nodes: try topologicallySorted(nodes, available: Set(constants.keys).union(inputs.map(\.name))),
                       constants: constants, inputs: inputs, outputs: outputs)
    }

    /// Orders the nodes so that every node comes after the producers of its inputs; among
    /// ready nodes the one listed first in the file goes first (a sorted file keeps its order).
    ///
    /// Why Kahn's algorithm with a ready heap: the former wave-by-wave rescan was quadratic in
    /// the node count, so a crafted file listing a long chain in reverse order (a few hundred
    /// kilobytes) kept the loader busy for minutes. This is O((nodes + edges) log nodes).
    /// Cycles and inputs nobody produces leave nodes that never become ready.
    func topologicallySorted(_ nodes: [GraphNode], available: Set<String>) throws -> [GraphNode] {
        var known = available
        var consumers: [String: [Int]] = [:]
        var pending = [Int](repeating: 0, count: nodes.count)
        var ready = MinHeap()
        for (i, n) in nodes.enumerated() {
            var missing = Set<String>()
            for name in n.inputs where !name.isEmpty && !known.contains(name) { missing.insert(name) }
            pending[i] = missing.count
            for name in missing { consumers[name, default: []].append(i) }
            if missing.isEmpty { ready.push(i) }
        }
        var sorted: [GraphNode] = []
        sorted.reserveCapacity(nodes.count)
        while let i = ready.pop() {
            sorted.append(nodes[i])
            for o in nodes[i].outputs where !o.isEmpty && known.insert(o).inserted {
                for c in consumers.removeValue(forKey: o) ?? [] {
                    pending[c] -= 1
                    if pending[c] == 0 { ready.push(c) }
                }
            }
        }
        if sorted.count < nodes.count, let i = pending.firstIndex(where: { $0 > 0 }) {
            let n = nodes[i]
            let missing = n.inputs.first { !$0.isEmpty && !known.contains($0) } ?? "?"
            throw EngineError.missingInput(node: n.name, op: n.opType, name: missing)
        }
        return sorted
    }

    /// A binary min-heap of node indices.
    struct MinHeap {
        private var items: [Int] = []
        mutating func push(_ v: Int) {
            items.append(v)
            var c = items.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                guard items[c] < items[p] else { break }
                items.swapAt(c, p); c = p
            }
        }
        mutating func pop() -> Int? {
            guard let top = items.first else { return nil }
            let last = items.removeLast()
            if !items.isEmpty {
                items[0] = last
                var p = 0
                while true {
                    let l = 2 * p + 1, r = l + 1
                    var m = p
                    if l < items.count, items[l] < items[m] { m = l }
                    if r < items.count, items[r] < items[m] { m = r }
                    if m == p { break }
                    items.swapAt(p, m); p = m
                }
            }
            return top
        }
    }

    func declaration(_ vi: Onnx_ValueInfoProto) throws -> ValueDeclaration {
        let tt = vi.type.tensorType
        let type = try elementType(Int(tt.elemType), what: "value '\(vi.name)'")
        var dims: [Int?] = []
        var symbols: [String?] = []
        if tt.hasShape {
            for d in tt.shape.dim {
                switch d.value {
                case .dimValue(let v)?:
                    dims.append(v >= 0 ? Int(v) : nil); symbols.append(nil)
                case .dimParam(let p)?:
                    dims.append(nil); symbols.append(p)
                case nil:
                    dims.append(nil); symbols.append(nil)
                }
            }
        }
        return ValueDeclaration(name: vi.name, type: type, dims: dims, symbols: symbols)
    }

    func elementType(_ raw: Int, what: String) throws -> ElementType {
        switch Onnx_TensorProto.DataType(rawValue: raw) {
        case .float?, .float16?, .double?, .bfloat16?, .undefined?: return .float
        case .int64?, .int32?, .int16?, .int8?, .uint8?, .uint16?, .uint32?, .uint64?: return .int64
        case .bool?: return .bool
        default: throw EngineError.unsupported(reason: "\(what): element type \(raw)")
        }
    }

    func convertAttribute(_ a: Onnx_AttributeProto) throws -> AttributeValue {
        switch a.type {
        case .int: return .int(Int(a.i))
        case .float: return .float(a.f)
        case .string: return .string(String(decoding: a.s, as: UTF8.self))
        case .ints: return .ints(a.ints.map { Int($0) })
        case .floats: return .floats(a.floats)
        case .strings: return .strings(a.strings.map { String(decoding: $0, as: UTF8.self) })
        case .tensor: return .tensor(try decodeTensor(a.t))
        default:
            // Older exporters leave `type` unset; infer from the populated field.
            if a.hasI { return .int(Int(a.i)) }
            if a.hasF { return .float(a.f) }
            if !a.ints.isEmpty { return .ints(a.ints.map { Int($0) }) }
            if !a.floats.isEmpty { return .floats(a.floats) }
            if a.hasS { return .string(String(decoding: a.s, as: UTF8.self)) }
            if a.hasT { return .tensor(try decodeTensor(a.t)) }
            return .unsupported("attribute type \(a.type.rawValue)")
        }
    }

    // MARK: tensors

    func decodeTensor(_ t: Onnx_TensorProto) throws -> HostTensor {
        let shape = t.dims.map { Int(clamping: $0) }
        let count = try checkedElementCount(shape, what: "tensor '\(t.name)'")
        var raw = t.rawData
        if t.dataLocation == .external {
            raw = try readExternal(t, count: count)
        }
        let dt = Onnx_TensorProto.DataType(rawValue: Int(t.dataType)) ?? .undefined
        let hasRaw = t.hasRawData || t.dataLocation == .external
        func checkCount(_ n: Int, _ field: String) throws {
            guard n == count else {
                throw EngineError.malformedModel(reason: "tensor '\(t.name)': \(field) holds \(n) values for shape \(shape)")
            }
        }
        func rawValues<T>(_ type: T.Type) throws -> [T] {
            let size = MemoryLayout<T>.size
            guard raw.count == count * size else {
                throw EngineError.malformedModel(reason: "tensor '\(t.name)': raw_data has \(raw.count) bytes, shape \(shape) needs \(count * size)")
            }
            var out = [T]()
            out.reserveCapacity(count)
            raw.withUnsafeBytes { buf in
                for i in 0..<count {
                    out.append(buf.loadUnaligned(fromByteOffset: i * size, as: T.self))
                }
            }
            return out
        }
        switch dt {
        case .float:
            if hasRaw {
                let v: [UInt32] = try rawValues(UInt32.self)
                return HostTensor(floats: v.map { Float(bitPattern: UInt32(littleEndian: $0)) }, shape: shape)
            }
            try checkCount(t.floatData.count, "float_data")
            return HostTensor(floats: t.floatData, shape: shape)
        case .double:
            if hasRaw {
                let v: [UInt64] = try rawValues(UInt64.self)
                return HostTensor(floats: v.map { Float(Double(bitPattern: UInt64(littleEndian: $0))) }, shape: shape)
            }
            try checkCount(t.doubleData.count, "double_data")
            return HostTensor(floats: t.doubleData.map { Float($0) }, shape: shape)
        case .float16, .bfloat16:
            let bits: [UInt16]
            if hasRaw {
                bits = try rawValues(UInt16.self).map { UInt16(littleEndian: $0) }
            } else {
                try checkCount(t.int32Data.count, "int32_data")
                bits = t.int32Data.map { UInt16(truncatingIfNeeded: $0) }
            }
            let f = dt == .float16 ? bits.map(halfToFloat) : bits.map { Float(bitPattern: UInt32($0) << 16) }
            return HostTensor(floats: f, shape: shape)
        case .int64:
            if hasRaw {
                return HostTensor(ints: try rawValues(Int64.self).map { Int64(littleEndian: $0) }, shape: shape)
            }
            try checkCount(t.int64Data.count, "int64_data")
            return HostTensor(ints: t.int64Data, shape: shape)
        case .uint64:
            if hasRaw {
                return HostTensor(ints: try rawValues(UInt64.self).map { Int64(truncatingIfNeeded: UInt64(littleEndian: $0)) }, shape: shape)
            }
            try checkCount(t.uint64Data.count, "uint64_data")
            return HostTensor(ints: t.uint64Data.map { Int64(truncatingIfNeeded: $0) }, shape: shape)
        case .int32, .int16, .int8, .uint8, .uint16, .bool:
            var ints: [Int64]
            if hasRaw {
                switch dt {
                case .int32: ints = try rawValues(Int32.self).map { Int64(Int32(littleEndian: $0)) }
                case .int16: ints = try rawValues(Int16.self).map { Int64(Int16(littleEndian: $0)) }
                case .uint16: ints = try rawValues(UInt16.self).map { Int64(UInt16(littleEndian: $0)) }
                case .int8: ints = try rawValues(Int8.self).map { Int64($0) }
                default: ints = try rawValues(UInt8.self).map { Int64($0) }
                }
            } else {
                try checkCount(t.int32Data.count, "int32_data")
                ints = t.int32Data.map { Int64($0) }
            }
            return HostTensor(ints: ints, shape: shape, type: dt == .bool ? .bool : .int64)
        case .uint32:
            if hasRaw {
                return HostTensor(ints: try rawValues(UInt32.self).map { Int64(UInt32(littleEndian: $0)) }, shape: shape)
            }
            try checkCount(t.uint64Data.count, "uint64_data")
            return HostTensor(ints: t.uint64Data.map { Int64(truncatingIfNeeded: $0) }, shape: shape)
        default:
            throw EngineError.unsupported(reason: "tensor '\(t.name)': element type \(t.dataType)")
        }
    }

    func readExternal(_ t: Onnx_TensorProto, count: Int) throws -> Data {
        var location = "", offset = 0, length: Int?
        for e in t.externalData {
            switch e.key {
            case "location": location = e.value
            case "offset": offset = Int(e.value) ?? -1
            case "length": length = Int(e.value)
            default: break
            }
        }
        guard let base = baseDirectory else {
            throw EngineError.externalData(reason: "tensor '\(t.name)' uses external data but the model was not loaded from a file")
        }
        guard !location.isEmpty, !location.hasPrefix("/"), !location.split(separator: "/").contains(".."), offset >= 0 else {
            throw EngineError.externalData(reason: "tensor '\(t.name)': invalid location '\(location)' / offset \(offset)")
        }
        let url = base.appendingPathComponent(location)
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw EngineError.externalData(reason: "tensor '\(t.name)': cannot open \(url.path)")
        }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(offset))
            var want = count
            if let length { want = length } else {
                let end = try handle.seekToEnd()
                want = end >= UInt64(offset) ? Int(clamping: end - UInt64(offset)) : 0
                try handle.seek(toOffset: UInt64(offset))
            }
            // Why: a negative "length" would trap in read(upToCount:), and a length beyond what
            // the declared shape can use would read (and hold) an arbitrary amount of a file.
            guard want >= 0 else {
                throw EngineError.externalData(reason: "tensor '\(t.name)': negative external length \(want)")
            }
            guard want <= maximumElementCount * 8, want <= count * 8 else {
                throw EngineError.resourceLimit(reason: "tensor '\(t.name)': external length \(want)")
            }
            let data = try handle.read(upToCount: want) ?? Data()
            guard data.count == want else {
                throw EngineError.externalData(reason: "tensor '\(t.name)': file \(location) is too short")
            }
            return data
        } catch let e as EngineError {
            throw e
        } catch {
            throw EngineError.externalData(reason: "tensor '\(t.name)': \(error)")
        }
    }
}


/// IEEE 754 half-precision bits to Float.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exp = Int((h >> 10) & 0x1f)
    let mant = UInt32(h & 0x3ff)
    if exp == 0 {
        if mant == 0 { return Float(bitPattern: sign) }
        let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -v : v
    }
    if exp == 31 {
        return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13))
    }
    return Float(bitPattern: sign | (UInt32(exp - 15 + 127) << 23) | (mant << 13))
}
