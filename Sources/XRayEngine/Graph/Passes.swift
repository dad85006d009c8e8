import Foundation

/// Load-time graph optimisations that do not depend on input sizes.
enum GraphPasses {
    /// Runs all passes in order: fold constants, drop Identity/Dropout, fold BatchNorm
    /// into Conv, fuse activations into Conv and Add (a residual block's ReLU), merge
    /// pointwise → depthwise → pointwise convolution chains into one block (with the residual
    /// Add that reads it), a Conv with the MaxPool or GlobalAveragePool that reads it, and a
    /// Conv with the residual Add that reads it.
    static func optimize(_ graph: inout GraphIR, opset: Int) throws {
        try foldConstants(&graph, opset: opset)
        removeIdentities(&graph)
        foldBatchNorms(&graph)
        fuseActivations(&graph, opset: opset)
        fusePointwiseDepthwise(&graph)
        fusePointwiseDepthwiseAdd(&graph)
        fuseConvMaxPool(&graph)
        fuseConvGlobalAveragePool(&graph)
        fuseConvAdd(&graph)
    }

    /// Merges a 2-D `Conv` without activation and the `Add` that alone reads it (a residual
    /// connection; the `Add` may carry a fused activation) into one `ConvAddOperator` node, in
    /// the `Add`'s place. Where both operands are such convolutions (ResNet's downsampling
    /// blocks: conv2 and the 1×1 shortcut), the one with the larger kernel takes the `Add`.
    static func fuseConvAdd(_ graph: inout GraphIR) {
        let counts = consumerCounts(graph)
        let producer = convProducers(graph)
        var removed = Set<Int>()
        func kernelArea(_ ci: Int) -> Int? {
            let conv = graph.nodes[ci]
            guard conv.fusedActivation == .none, !removed.contains(ci), let o = conv.outputs.first, counts[o] == 1,
                  let w = conv.input(1), let shape = graph.constants[w]?.shape, shape.count == 4 else { return nil }
            return shape[2] * shape[3]
        }
        for (ai, add) in graph.nodes.enumerated() where add.opType == "Add" && add.inputs.count == 2 {
            guard add.outputs.count == 1, add.inputs.allSatisfy({ !$0.isEmpty && graph.constants[$0] == nil }),
                  add.inputs[0] != add.inputs[1] else { continue }
            let candidates = (0..<2).compactMap { j -> (operand: Int, conv: Int, area: Int)? in
                guard let ci = producer[add.inputs[j]], let area = kernelArea(ci) else { return nil }
                return (j, ci, area)
            }
            guard let best = candidates.max(by: { $0.area < $1.area || ($0.area == $1.area && $0.operand > $1.operand) })
            else { continue }
            let conv = graph.nodes[best.conv]
            var node = GraphNode(name: "\(conv.name) (conv + add)", opType: ConvAddOperator.opType, domain: "",
                                 inputs: [conv.inputs[0], add.inputs[1 - best.operand]] + conv.inputs.dropFirst(),
                                 outputs: add.outputs, attributes: [:])
            node.fused = [conv, add]
            graph.nodes[ai] = node
            removed.insert(best.conv)
        }
        removeNodes(removed, from: &graph)
    }

    /// Merges a 2-D `Conv` (with its fused activation) and the `MaxPool` that is its only
    /// reader (ResNet's stem) into one `ConvMaxPoolOperator` node, in the MaxPool's place.
    static func fuseConvMaxPool(_ graph: inout GraphIR) {
        let counts = consumerCounts(graph)
        let producer = convProducers(graph)
        var removed = Set<Int>()
        for (pi, pool) in graph.nodes.enumerated() where pool.opType == "MaxPool" {
            guard pool.outputs.count == 1 || pool.outputs[1].isEmpty,
                  (try? pool.ints("kernel_shape"))??.count == 2,
                  let x = pool.input(0), counts[x] == 1, let ci = producer[x], !removed.contains(ci),
                  let w = graph.nodes[ci].input(1), graph.constants[w]?.shape.count == 4 else { continue }
            let conv = graph.nodes[ci]
            var node = GraphNode(name: "\(conv.name) (conv + max pool)", opType: ConvMaxPoolOperator.opType, domain: "",
                                 inputs: conv.inputs, outputs: pool.outputs, attributes: [:])
            node.fused = [conv, pool]
            graph.nodes[pi] = node
            removed.insert(ci)
        }
        removeNodes(removed, from: &graph)
    }

    /// Merges a 2-D `Conv` (with its fused activation) and the `GlobalAveragePool` that is its
    /// only reader (a classifier's pooled features) into one `ConvGlobalAveragePoolOperator`
    /// node, in the pool's place.
    static func fuseConvGlobalAveragePool(_ graph: inout GraphIR) {
        let counts = consumerCounts(graph)
        let producer = convProducers(graph)
        var removed = Set<Int>()
        for (pi, pool) in graph.nodes.enumerated() where pool.opType == "GlobalAveragePool" {
            guard pool.outputs.count == 1, let x = pool.input(0), counts[x] == 1, let ci = producer[x],
                  !removed.contains(ci), let w = graph.nodes[ci].input(1), graph.constants[w]?.shape.count == 4
            else { continue }
            let conv = graph.nodes[ci]
            var node = GraphNode(name: "\(conv.name) (conv + global average pool)",
                                 opType: ConvGlobalAveragePoolOperator.opType, domain: "", inputs: conv.inputs,
                                 outputs: pool.outputs, attributes: [:])
            node.fused = [conv, pool]
            graph.nodes[pi] = node
            removed.insert(ci)
        }
        removeNodes(removed, from: &graph)
    }

    /// Merges `Conv 1×1 → depthwise Conv → Conv 1×1` chains (MobileNet's inverted residual
    /// blocks; each intermediate used once) into one `PointwiseDepthwiseOperator` node, which
    /// runs channels-last inside; the first Conv may also have a small kernel (a first layer).
    static func fusePointwiseDepthwise(_ graph: inout GraphIR) {
        let counts = consumerCounts(graph)
        var consumer: [String: Int] = [:]
        for (i, n) in graph.nodes.enumerated() { if let x = n.input(0) { consumer[x] = i } }
        func weights(_ n: GraphNode) -> [Int]? {
            guard n.opType == "Conv", let w = n.input(1), let t = graph.constants[w], t.shape.count == 4 else { return nil }
            if let b = n.input(2), graph.constants[b] == nil { return nil }
            return t.shape
        }
        func isPointwise(_ n: GraphNode) -> Bool {
            guard let w = weights(n), w[2] == 1, w[3] == 1, (try? n.int("group", default: 1)) == 1 else { return false }
            let unit = ((try? n.ints("strides")) ?? nil).map { $0.allSatisfy { $0 == 1 } } ?? true
            let unpadded = ((try? n.ints("pads")) ?? nil).map { $0.allSatisfy { $0 == 0 } } ?? true
            return unit && unpadded
        }
        /// A pointwise convolution, or one of at most `TransposedPointwise.kBlock` multiply-adds
        /// per output (a first layer: `ChannelsLastConvolution`).
        func isFirstStage(_ n: GraphNode) -> Bool {
            guard let w = weights(n), (try? n.int("group", default: 1)) == 1 else { return false }
            return isPointwise(n) || w[1] * w[2] * w[3] <= TransposedPointwise.kBlock
        }
        var removed = Set<Int>()
        for (ai, a) in graph.nodes.enumerated() where !removed.contains(ai) && isFirstStage(a) {
            guard let aw = weights(a), let ao = a.outputs.first, counts[ao] == 1, let bi = consumer[ao],
                  let bw = weights(graph.nodes[bi]), bw[0] == aw[0], bw[1] == 1,
                  (try? graph.nodes[bi].int("group", default: 1)) == aw[0],
                  let bo = graph.nodes[bi].outputs.first, counts[bo] == 1, let ci = consumer[bo],
                  isPointwise(graph.nodes[ci]), let cw = weights(graph.nodes[ci]), cw[1] == aw[0] else { continue }
            let (b, c) = (graph.nodes[bi], graph.nodes[ci])
            var block = GraphNode(name: "\(b.name) (pointwise-depthwise block)", opType: PointwiseDepthwiseOperator.opType,
                                  domain: "", inputs: [a.inputs[0]] + a.inputs.dropFirst() + b.inputs.dropFirst()
                                      + c.inputs.dropFirst(),
                                  outputs: c.outputs, attributes: [:])
            block.fused = [a, b, c]
            graph.nodes[ci] = block
            removed.formUnion([ai, bi])
        }
        removeNodes(removed, from: &graph)
    }

    /// Merges a pointwise-depthwise block whose projection has no activation with the `Add` that
    /// alone reads it (MobileNetV2's residual connections; the `Add` may carry a fused
    /// activation): the block moves to the `Add`'s place, with the `Add`'s other operand as
    /// its input 1 and the `Add` as its fourth fused node (`PointwiseDepthwiseOperator`).
    static func fusePointwiseDepthwiseAdd(_ graph: inout GraphIR) {
        let counts = consumerCounts(graph)
        var producer: [String: Int] = [:]
        for (i, n) in graph.nodes.enumerated() where n.opType == PointwiseDepthwiseOperator.opType && n.fused.count == 3 {
            if let o = n.outputs.first, n.fused[2].fusedActivation == .none { producer[o] = i }
        }
        var removed = Set<Int>()
        for (ai, add) in graph.nodes.enumerated() where add.opType == "Add" && add.inputs.count == 2 {
            guard add.outputs.count == 1, add.inputs.allSatisfy({ !$0.isEmpty && graph.constants[$0] == nil }),
                  add.inputs[0] != add.inputs[1],
                  let operand = (0..<2).first(where: { j in
                      counts[add.inputs[j]] == 1 && producer[add.inputs[j]].map { !removed.contains($0) } == true
                  }) else { continue }
            let bi = producer[add.inputs[operand]]!
            var block = graph.nodes[bi]
            block.inputs.insert(add.inputs[1 - operand], at: 1)
            block.outputs = add.outputs
            block.fused.append(add)
            block.name += " + add"
            graph.nodes[ai] = block
            removed.insert(bi)
        }
        removeNodes(removed, from: &graph)
    }

    /// Index of the `Conv` node that makes each value a `Conv` makes.
    static func convProducers(_ graph: GraphIR) -> [String: Int] {
        var producer: [String: Int] = [:]
        for (i, n) in graph.nodes.enumerated() where n.opType == "Conv" { if let o = n.outputs.first { producer[o] = i } }
        return producer
    }

    /// Drops the nodes at `removed` (merged into others by a fusion pass), keeping the order.
    static func removeNodes(_ removed: Set<Int>, from graph: inout GraphIR) {
        graph.nodes = graph.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    static func consumerCounts(_ graph: GraphIR) -> [String: Int] {
        var counts: [String: Int] = [:]
        for n in graph.nodes { for i in n.inputs where !i.isEmpty { counts[i, default: 0] += 1 } }
        for o in graph.outputs { counts[o.name, default: 0] += 1 }
        return counts
    }

    /// Evaluates nodes whose inputs are all constants (Constant nodes included).
    static func foldConstants(_ graph: inout GraphIR, opset: Int) throws {
        var kept: [GraphNode] = []
        let outputNames = Set(graph.outputs.map(\.name))
        for node in graph.nodes {
            let present = node.inputs.filter { !$0.isEmpty }
            guard present.allSatisfy({ graph.constants[$0] != nil }),
                  !node.outputs.contains(where: { outputNames.contains($0) }) else {
                kept.append(node); continue
            }
            let op = try makeOperator(node, constants: graph.constants, opset: opset)
            let infos: [ValueInfo?] = node.inputs.map { $0.isEmpty ? nil : ValueInfo(constant: graph.constants[$0]!) }
            let outs = try op.infer(infos)
            try checkFoldable(outs, node: node)
            let values = try outs.allSatisfy({ $0.constant != nil }) ? outs.map { $0.constant! } : op.fold(infos, outputs: outs)
            for (name, v) in zip(node.outputs, values) where !name.isEmpty { graph.constants[name] = v }
        }
        graph.nodes = kept
    }

    /// Removes Identity and Dropout nodes whose output is not a graph output.
    static func removeIdentities(_ graph: inout GraphIR) {
        let outputNames = Set(graph.outputs.map(\.name))
        var rename: [String: String] = [:]
        var kept: [GraphNode] = []
        for var node in graph.nodes {
            node.inputs = node.inputs.map { rename[$0] ?? $0 }
            if (node.opType == "Identity" || node.opType == "Dropout"), let out = node.outputs.first,
               !outputNames.contains(out), node.outputs.dropFirst().allSatisfy(\.isEmpty), let src = node.input(0) {
                rename[out] = src
                continue
            }
            kept.append(node)
        }
        graph.nodes = kept
    }

    /// Folds `BatchNormalization` into a preceding `Conv` that has no other consumer.
    static func foldBatchNorms(_ graph: inout GraphIR) {
        let counts = consumerCounts(graph)
        var producer: [String: Int] = [:]
        for (i, n) in graph.nodes.enumerated() { for o in n.outputs { producer[o] = i } }
        var removed = Set<Int>()
        for (bi, bn) in graph.nodes.enumerated() where bn.opType == "BatchNormalization" {
            guard let x = bn.input(0), let ci = producer[x], counts[x] == 1,
                  graph.nodes[ci].opType == "Conv", graph.nodes[ci].fusedActivation == .none,
                  bn.outputs.dropFirst().allSatisfy(\.isEmpty),
                  (try? bn.int("training_mode", default: 0)) == 0,
                  let params = try? (1...4).map({ i -> [Float] in
                      guard let name = bn.input(i), let c = graph.constants[name] else { throw EngineError.unsupported(reason: "") }
                      return c.floats
                  }),
                  let wName = graph.nodes[ci].input(1), let w = graph.constants[wName] else { continue }
            let conv = graph.nodes[ci]
            let oc = w.shape[0]
            guard params.allSatisfy({ $0.count == oc }) else { continue }
            let eps = (try? bn.float("epsilon", default: 1e-5)) ?? 1e-5
            let (a, b) = BatchNormOperator.affine(scale: params[0], bias: params[1], mean: params[2], variance: params[3], epsilon: eps)
            var wf = w.floats
            let per = wf.count / max(oc, 1)
            for o in 0..<oc { for j in 0..<per { wf[o * per + j] *= a[o] } }
            var bias = [Float](repeating: 0, count: oc)
            if let bName = conv.input(2), let bc = graph.constants[bName] { bias = bc.floats }
            for o in 0..<oc { bias[o] = bias[o] * a[o] + b[o] }
            let newW = "\(conv.name)::\(ci)::bn_folded_W", newB = "\(conv.name)::\(ci)::bn_folded_B"
            graph.constants[newW] = HostTensor(floats: wf, shape: w.shape)
            graph.constants[newB] = HostTensor(floats: bias, shape: [oc])
            var updated = conv
            updated.inputs = [conv.inputs[0], newW, newB]
            updated.outputs = [bn.outputs[0]]
            graph.nodes[ci] = updated
            removed.insert(bi)
        }
        removeNodes(removed, from: &graph)
        pruneConstants(&graph)
    }

    /// Fuses a single-consumer activation into the Conv or Add producing its input.
    static func fuseActivations(_ graph: inout GraphIR, opset: Int) {
        let counts = consumerCounts(graph)
        var producer: [String: Int] = [:]
        for (i, n) in graph.nodes.enumerated() { for o in n.outputs { producer[o] = i } }
        var removed = Set<Int>()
        for (ai, act) in graph.nodes.enumerated() {
            guard let x = act.input(0), let ci = producer[x], counts[x] == 1,
                  ["Conv", "Add"].contains(graph.nodes[ci].opType), graph.nodes[ci].fusedActivation == .none,
                  let fused = activation(of: act, constants: graph.constants, opset: opset) else { continue }
            graph.nodes[ci].fusedActivation = fused
            graph.nodes[ci].outputs = [act.outputs[0]]
            removed.insert(ai)
        }
        removeNodes(removed, from: &graph)
    }

    static func activation(of node: GraphNode, constants: [String: HostTensor], opset: Int) -> FusedActivation? {
        switch node.opType {
        case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish":
            return (try? UnaryOperator(node))?.activation
        case "Clip":
            guard let op = try? ClipOperator(node, opset: opset) else { return nil }
            var infos: [ValueInfo?] = [ValueInfo(shape: [])]
            for i in 1..<max(node.inputs.count, 1) {
                guard let name = node.input(i) else { infos.append(nil); continue }
                guard let c = constants[name] else { return nil }
                infos.append(ValueInfo(constant: c))
            }
            return try? op.activation(infos)
        default:
            return nil
        }
    }

    /// Drops constants no node or output refers to.
    static func pruneConstants(_ graph: inout GraphIR) {
        var used = Set(graph.outputs.map(\.name))
        for n in graph.nodes { used.formUnion(n.inputs) }
        graph.constants = graph.constants.filter { used.contains($0.key) }
    }
}
