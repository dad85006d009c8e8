/// One number per scan from its raw anomaly map.
enum ImageScore {
    /// Peak, or exact mean of the `k` highest values (histogram selection: two passes, O(n)).
    static func compute(_ v: UnsafeBufferPointer<Float>, method: ModelMetadata.ImageScoreMethod) -> Double {
        guard let p = v.baseAddress, v.count > 0 else { return 0 }
        let n = v.count
        switch method {
        case .peak:
            var m = -Float.infinity
            for i in 0..<n where p[i] > m { m = p[i] }
            return Double(m)
        case .topKMean(let kRequested):
            let k = min(kRequested, n)
            let bins = 1 << 16
            @inline(__always) func bin(_ x: Float) -> Int { Int(min(max(x, 0), 1) * Float(bins - 1)) }
            var hist = [Int](repeating: 0, count: bins)
            hist.withUnsafeMutableBufferPointer { h in
                for i in 0..<n { h[bin(p[i])] += 1 }
            }
            var cut = bins - 1, above = 0
            while cut > 0, above + hist[cut] < k { above += hist[cut]; cut -= 1 }
            var sum = 0.0
            var edge: [Float] = []
            for i in 0..<n {
                let b = bin(p[i])
                if b > cut { sum += Double(p[i]) } else if b == cut { edge.append(p[i]) }
            }
            edge.sort(by: >)
            for x in edge.prefix(k - above) { sum += Double(x) }
            return sum / Double(k)
        }
    }
}
