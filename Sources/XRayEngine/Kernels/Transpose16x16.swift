/// The 16 × 16 block at `source` (rows `stride` floats apart) transposed in registers:
/// `body(j, column)` gets column `j` as a vector (`column[i] = source[i · stride + j]`).
///
/// Four rounds of two-source lane exchanges (8, 4, 2, then 1 lanes apart), each a permute
/// instruction per vector. `TransposedPointwise`'s NCHW store gathered each output vector
/// from its tile instead, 16 loads 32 floats apart: a quarter of a 112 × 112 block's time.
@inline(__always)
func transpose16x16(_ source: UnsafePointer<Float>, stride: Int, _ body: (Int, SIMD16<Float>) -> Void) {
    var r0 = loadVector(source + 0 &* stride)
    var r1 = loadVector(source + 1 &* stride)
    var r2 = loadVector(source + 2 &* stride)
    var r3 = loadVector(source + 3 &* stride)
    var r4 = loadVector(source + 4 &* stride)
    var r5 = loadVector(source + 5 &* stride)
    var r6 = loadVector(source + 6 &* stride)
    var r7 = loadVector(source + 7 &* stride)
    var r8 = loadVector(source + 8 &* stride)
    var r9 = loadVector(source + 9 &* stride)
    var r10 = loadVector(source + 10 &* stride)
    var r11 = loadVector(source + 11 &* stride)
    var r12 = loadVector(source + 12 &* stride)
    var r13 = loadVector(source + 13 &* stride)
    var r14 = loadVector(source + 14 &* stride)
    var r15 = loadVector(source + 15 &* stride)
    (r0, r8) = exchange8(r0, r8)
    (r1, r9) = exchange8(r1, r9)
    (r2, r10) = exchange8(r2, r10)
    (r3, r11) = exchange8(r3, r11)
    (r4, r12) = exchange8(r4, r12)
    (r5, r13) = exchange8(r5, r13)
    (r6, r14) = exchange8(r6, r14)
    (r7, r15) = exchange8(r7, r15)
    (r0, r4) = exchange4(r0, r4)
    (r1, r5) = exchange4(r1, r5)
    (r2, r6) = exchange4(r2, r6)
    (r3, r7) = exchange4(r3, r7)
    (r8, r12) = exchange4(r8, r12)
    (r9, r13) = exchange4(r9, r13)
    (r10, r14) = exchange4(r10, r14)
    (r11, r15) = exchange4(r11, r15)
    (r0, r2) = exchange2(r0, r2)
    (r1, r3) = exchange2(r1, r3)
    (r4, r6) = exchange2(r4, r6)
    (r5, r7) = exchange2(r5, r7)
    (r8, r10) = exchange2(r8, r10)
    (r9, r11) = exchange2(r9, r11)
    (r12, r14) = exchange2(r12, r14)
    (r13, r15) = exchange2(r13, r15)
    (r0, r1) = exchange1(r0, r1)
    (r2, r3) = exchange1(r2, r3)
    (r4, r5) = exchange1(r4, r5)
    (r6, r7) = exchange1(r6, r7)
    (r8, r9) = exchange1(r8, r9)
    (r10, r11) = exchange1(r10, r11)
    (r12, r13) = exchange1(r12, r13)
    (r14, r15) = exchange1(r14, r15)
    body(0, r0)
    body(1, r1)
    body(2, r2)
    body(3, r3)
    body(4, r4)
    body(5, r5)
    body(6, r6)
    body(7, r7)
    body(8, r8)
    body(9, r9)
    body(10, r10)
    body(11, r11)
    body(12, r12)
    body(13, r13)
    body(14, r14)
    body(15, r15)
}

@inline(__always)
private func exchange8(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>) {
    (SIMD16(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]),
     SIMD16(a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
}

@inline(__always)
private func exchange4(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>) {
    (SIMD16(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], a[8], a[9], a[10], a[11], b[8], b[9], b[10], b[11]),
     SIMD16(a[4], a[5], a[6], a[7], b[4], b[5], b[6], b[7], a[12], a[13], a[14], a[15], b[12], b[13], b[14], b[15]))
}

@inline(__always)
private func exchange2(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>) {
    (SIMD16(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5], a[8], a[9], b[8], b[9], a[12], a[13], b[12], b[13]),
     SIMD16(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7], a[10], a[11], b[10], b[11], a[14], a[15], b[14], b[15]))
}

@inline(__always)
private func exchange1(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>) {
    (SIMD16(a[0], b[0], a[2], b[2], a[4], b[4], a[6], b[6], a[8], b[8], a[10], b[10], a[12], b[12], a[14], b[14]),
     SIMD16(a[1], b[1], a[3], b[3], a[5], b[5], a[7], b[7], a[9], b[9], a[11], b[11], a[13], b[13], a[15], b[15]))
}
