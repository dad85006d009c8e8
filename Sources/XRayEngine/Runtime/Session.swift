import Foundation

/// A model prepared for fixed input shapes, with its own activation memory.
///
/// A session is used by one thread at a time; make one per thread from a shared
/// ``Model``. Running allocates nothing except the returned output tensors.
public final class Session {
    /// The model this session runs.
    public let model: Model
    /// Input shapes this session was prepared for.
    public let inputShapes: [String: [Int]]
    /// Output shapes, resolved for ``inputShapes``.
    public let outputShapes: [String: [Int]]
    /// Multiply-accumulate operations per ``run(_:)`` (Conv, ConvTranspose, Gemm, MatMul).
    public let macCount: Int
    /// Bytes of planned activation memory (one arena, buffers reused by liveness).
    public let peakMemoryBytes: Int
    /// Threads the kernels may use.
    public let threads: Int
    /// Number of steps in the execution plan (after folding and fusion).
    public var stepCount: Int { steps.count }

    private let arenaStorage: TensorStorage
    /// Working memory of the fast kernels, shared by steps (they run in sequence).
    private let scratchStorage: TensorStorage
    private var steps: [Step] = []
    /// "name (opType)" of each step, for ``profile(_:runs:)``.
    private var stepLabels: [String] = []
    private var inputSlots: [(name: String, shape: [Int], pointer: UnsafeMutablePointer<Float>)] = []
    private var outputSlots: [(name: String, shape: [Int], pointer: UnsafePointer<Float>)] = []
    private var keepAlive: [Tensor] = []

    init(model: Model, inputShapes given: [String: [Int]], threads: Int, maximumMemoryBytes: Int?) throws {
        self.model = model
        self.threads = threads
        let graph = model.graph
        var infos: [String: ValueInfo] = [:]
        for (name, c) in graph.constants { infos[name] = ValueInfo(constant: c) }

        // Resolve and check input shapes.
        let declared = Set(graph.inputs.map(\.name))
        for name in given.keys where !declared.contains(name) {
            throw EngineError.invalidInput(reason: "model has no input '\(name)' (inputs: \(graph.inputs.map(\.name).joined(separator: ", ")))")
        }
        var shapes: [String: [Int]] = [:]
        for d in graph.inputs {
            let shape: [Int]
            if let s = given[d.name] {
                shape = s
            } else if d.dims.allSatisfy({ $0 != nil }) {
                shape = d.dims.map { $0! }
            } else {
                throw EngineError.invalidInput(reason: "input '\(d.name)' has symbolic dimensions; give its shape")
            }
            if !d.dims.isEmpty {
                guard shape.count == d.dims.count,
                      zip(shape, d.dims).allSatisfy({ $1 == nil || $0 == $1! }) else {
                    throw EngineError.shapeMismatch(node: d.name, op: "input",
                        reason: "shape \(shape) does not match declared [\(d.dims.map { $0.map(String.init) ?? "?" }.joined(separator: ", "))]")
                }
            }
            guard shape.allSatisfy({ $0 > 0 }) else {
                throw EngineError.shapeMismatch(node: d.name, op: "input", reason: "non-positive dimension in \(shape)")
            }
            _ = try checkedElementCount(shape, what: "input '\(d.name)'")
            guard d.type == .float else {
                throw EngineError.unsupported(reason: "input '\(d.name)' is not float32")
            }
            shapes[d.name] = shape
            infos[d.name] = ValueInfo(shape: shape)
        }
        inputShapes = shapes

        // Shape inference and folding; collect the run-time nodes.
        struct Planned { var op: any Operator; var inputs: [ValueInfo?]; var outputs: [ValueInfo] }
        var planned: [Planned] = []
        for op in model.operators {
            let node = op.node
            var ins: [ValueInfo?] = []
            for name in node.inputs {
                if name.isEmpty { ins.append(nil); continue }
                guard let v = infos[name] else { throw EngineError.missingInput(node: node.name, op: node.opType, name: name) }
                ins.append(v)
            }
            var outs = try op.infer(ins)
            guard outs.count >= node.outputs.filter({ !$0.isEmpty }).count else {
                throw node.shapeError("operator produced \(outs.count) outputs for \(node.outputs.count) declared")
            }
            for o in outs { _ = try checkedElementCount(o.shape, what: "output of '\(node.name)' (\(node.opType))") }
            let present = ins.compactMap { $0 }
            if !outs.allSatisfy({ $0.constant != nil }) && present.allSatisfy({ $0.constant != nil }) {
                try checkFoldable(outs, node: node)
                let values = try op.fold(ins, outputs: outs)
                outs = values.map { ValueInfo(constant: $0) }
            }
            for (name, v) in zip(node.outputs, outs) where !name.isEmpty { infos[name] = v }
            if outs.allSatisfy({ $0.constant != nil }) { continue }
            for (i, v) in ins.enumerated() where v != nil && v!.constant == nil && v!.type != .float {
                throw EngineError.unsupported(reason: "node '\(node.name)' (\(node.opType)): input \(i) is a run-time \(v!.type) tensor; only float32 activations are supported at run time")
            }
            planned.append(Planned(op: op, inputs: ins, outputs: outs))
        }

        // Liveness.
        var lastUse: [String: Int] = [:]
        for (i, p) in planned.enumerated() {
            for (name, v) in zip(p.op.node.inputs, p.inputs) where v != nil && v!.constant == nil { lastUse[name] = i }
        }
        for o in graph.outputs { lastUse[o.name] = Int.max }
        let aliases = Self.concatAliases(planned.map { ($0.op, $0.inputs, $0.outputs) },
                                         graphInputs: declared, graphOutputs: Set(graph.outputs.map(\.name)))
        var planner = MemoryPlanner()
        var offsets: [String: Int] = [:]
        for d in graph.inputs {
            offsets[d.name] = planner.allocate(count: shapes[d.name]!.reduce(1, *), lastUse: lastUse[d.name] ?? -1)
        }
        var outputKeys: [[String]] = []
        for (i, p) in planned.enumerated() {
            planner.release(before: i)
            var keys: [String] = []
            for (j, v) in p.outputs.enumerated() {
                // Unnamed or undeclared outputs still get (short-lived) scratch buffers.
                let name = j < p.op.node.outputs.count ? p.op.node.outputs[j] : ""
                let key = name.isEmpty ? "\u{0}scratch:\(i):\(j)" : name
                if let alias = aliases.slices[key] {
                    // A slice of a Concat's output: allocate the whole output with its first slice.
                    if offsets[alias.concat] == nil {
                        offsets[alias.concat] = planner.allocate(count: alias.count, lastUse: lastUse[alias.concat] ?? i)
                    }
                    offsets[key] = offsets[alias.concat]! + alias.offset
                } else if offsets[key] == nil {
                    offsets[key] = planner.allocate(count: v.count, lastUse: lastUse[key] ?? i)
                }
                keys.append(key)
            }
            outputKeys.append(keys)
        }
        if let limit = maximumMemoryBytes, planner.peak * MemoryLayout<Float>.stride > limit {
            throw EngineError.resourceLimit(reason: "planned activation memory \(planner.peak * MemoryLayout<Float>.stride) bytes exceeds the limit of \(limit)")
        }
        arenaStorage = TensorStorage(count: max(planner.peak, MemoryPlanner.alignment))
        let arena = arenaStorage.pointer

        let scratchCount = planned.map { $0.op.scratchCount($0.inputs, threads: threads) }.max() ?? 0
        scratchStorage = TensorStorage(count: max(scratchCount, MemoryPlanner.alignment))
        peakMemoryBytes = (planner.peak + scratchCount) * MemoryLayout<Float>.stride

        // Build the steps with fixed addresses.
        var constantTensors: [String: Tensor] = [:]
        var macs = 0
        for (i, p) in planned.enumerated() {
            let node = p.op.node
            var inPtrs: [UnsafePointer<Float>?] = []
            for (k, (name, v)) in zip(node.inputs, p.inputs).enumerated() {
                guard let v else { inPtrs.append(nil); continue }
                if let c = v.constant {
                    guard p.op.readsConstantData(at: k) else { inPtrs.append(nil); continue }
                    let t = constantTensors[name] ?? c.toTensor()
                    constantTensors[name] = t
                    inPtrs.append(UnsafePointer(t.storage.pointer))
                } else {
                    inPtrs.append(UnsafePointer(arena + offsets[name]!))
                }
            }
            var outPtrs: [UnsafeMutablePointer<Float>] = []
            for key in outputKeys[i] { outPtrs.append(arena + offsets[key]!) }
            let ctx = StepContext(inputs: p.inputs, inputPointers: inPtrs, outputs: p.outputs,
                                  outputPointers: outPtrs, threads: threads, scratch: scratchStorage.pointer)
            steps.append(aliases.elided.contains(i) ? {} : try p.op.makeStep(ctx))
            stepLabels.append("\(node.name) (\(node.opType))")
            macs += p.op.macs(p.inputs, p.outputs)
        }
        macCount = macs
        keepAlive = Array(constantTensors.values)

        for d in graph.inputs { inputSlots.append((d.name, shapes[d.name]!, arena + offsets[d.name]!)) }
        var outShapes: [String: [Int]] = [:]
        for o in graph.outputs {
            guard let v = infos[o.name] else {
                throw EngineError.missingInput(node: "graph output", op: "output", name: o.name)
            }
            outShapes[o.name] = v.shape
            if let c = v.constant {
                let t = c.toTensor()
                keepAlive.append(t)
                outputSlots.append((o.name, v.shape, UnsafePointer(t.storage.pointer)))
            } else {
                outputSlots.append((o.name, v.shape, UnsafePointer(arena + offsets[o.name]!)))
            }
        }
        outputShapes = outShapes
    }

    /// Concats whose inputs are written by their producers straight into slices of the
    /// output (Why: on a U-Net at 1024² the copies were ~4% of the run). Applies to a
    /// Concat whose output is contiguous per input (all axes before `axis` of size 1)
    /// when every input is a run-time value produced by an earlier step, not a graph
    /// input or output, used by no other Concat, and not itself an elided Concat's output.
    static func concatAliases(_ planned: [(op: any Operator, inputs: [ValueInfo?], outputs: [ValueInfo])],
                              graphInputs: Set<String>, graphOutputs: Set<String>)
        -> (slices: [String: (concat: String, offset: Int, count: Int)], elided: Set<Int>) {
        var producer: [String: Int] = [:]
        var concatUses: [String: Int] = [:]
        for (i, p) in planned.enumerated() {
            for o in p.op.node.outputs where !o.isEmpty { producer[o] = i }
            if p.op is ConcatOperator { for n in p.op.node.inputs where !n.isEmpty { concatUses[n, default: 0] += 1 } }
        }
        var slices: [String: (concat: String, offset: Int, count: Int)] = [:]
        var elided = Set<Int>()
        var elidedOutputs = Set<String>()
        for (i, p) in planned.enumerated() {
            guard let concat = p.op as? ConcatOperator, let out = p.op.node.outputs.first, !out.isEmpty,
                  p.outputs.count == 1, p.outputs[0].type == .float else { continue }
            let shape = p.outputs[0].shape
            guard let axis = try? normalizeAxis(concat.axis, rank: shape.count, node: p.op.node),
                  shape[..<axis].allSatisfy({ $0 == 1 }) else { continue }
            let names = p.op.node.inputs
            guard !names.isEmpty, Set(names).count == names.count,
                  names.allSatisfy({ n in
                      !n.isEmpty && !graphInputs.contains(n) && !graphOutputs.contains(n) && concatUses[n] == 1
                          && !elidedOutputs.contains(n) && (producer[n].map { $0 < i } ?? false)
                  }),
                  p.inputs.allSatisfy({ $0 != nil && $0!.constant == nil && $0!.type == .float }) else { continue }
            var offset = 0
            var mine: [(String, Int)] = []
            for v in p.inputs { mine.append(("", offset)); offset += v!.count }
            // Keep every slice on the arena's 64-byte alignment.
            guard mine.allSatisfy({ $0.1 % MemoryPlanner.alignment == 0 }) else { continue }
            for (n, m) in zip(names, mine) { slices[n] = (out, m.1, p.outputs[0].count) }
            elided.insert(i)
            elidedOutputs.insert(out)
        }
        return (slices, elided)
    }

    /// Runs the model.
    /// - Parameter inputs: One tensor per model input, shaped as prepared.
    /// - Returns: One tensor per model output, by name.
    /// - Throws: ``EngineError/invalidInput(reason:)`` or ``EngineError/shapeMismatch(node:op:reason:)``
    ///   for missing or wrongly shaped inputs.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        for name in inputs.keys where !inputSlots.contains(where: { $0.name == name }) {
            throw EngineError.invalidInput(reason: "model has no input '\(name)'")
        }
        for slot in inputSlots {
            guard let t = inputs[slot.name] else { throw EngineError.invalidInput(reason: "missing input '\(slot.name)'") }
            guard t.shape == slot.shape else {
                throw EngineError.shapeMismatch(node: slot.name, op: "input", reason: "got \(t.shape), session prepared for \(slot.shape)")
            }
        }
        for slot in inputSlots {
            inputs[slot.name]!.withUnsafeBufferPointer { slot.pointer.update(from: $0.baseAddress!, count: $0.count) }
        }
        for step in steps { step() }
        var result: [String: Tensor] = [:]
        for slot in outputSlots {
            result[slot.name] = Tensor(shape: slot.shape) { $0.baseAddress!.update(from: slot.pointer, count: $0.count) }
        }
        return result
    }

    /// One step's share of a profiled run.
    public struct StepTiming: Sendable {
        /// "node name (op type)" after fusion (a Conv step includes its fused activation).
        public var label: String
        /// Fastest of the profiled runs, in seconds (the minimum rather than the median:
        /// on a shared machine it is the estimate least disturbed by other processes).
        public var seconds: Double
        /// Median of the profiled runs, in seconds: far above `seconds` where the step often
        /// waits (a worker late to a parallel step, a cache the previous step evicted).
        public var medianSeconds: Double
    }

    /// Runs the model `runs` times timing every step separately (opt-in: the plain
    /// ``run(_:)`` reads no clock). Returns the per-step times in plan order.
    public func profile(_ inputs: [String: Tensor], runs: Int = 3) throws -> [StepTiming] {
        _ = try run(inputs) // places the inputs in the arena
        var samples = [[Double]](repeating: [], count: steps.count)
        for _ in 0..<max(1, runs) {
            for (i, step) in steps.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                step()
                samples[i].append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            }
        }
        return zip(stepLabels, samples).map { label, s in
            let sorted = s.sorted()
            return StepTiming(label: label, seconds: sorted[0], medianSeconds: sorted[sorted.count / 2])
        }
    }

    /// Runs a single-input, single-output model.
    public func run(_ input: Tensor) throws -> Tensor {
        guard inputSlots.count == 1, outputSlots.count == 1 else {
            throw EngineError.invalidInput(reason: "run(_:) needs one input and one output; the model has \(inputSlots.count) and \(outputSlots.count)")
        }
        return try run([inputSlots[0].name: input])[outputSlots[0].name]!
    }
}
