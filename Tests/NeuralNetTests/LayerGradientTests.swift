import NeuralNet
import TestSupport
import XCTest

/// Finite-difference checks of every layer's backward and double backward, in training and
/// inference mode. For a layer y = f(x, θ) and random w, dy, a:
/// - backward: ∂⟨w, f(x, θ)⟩/∂x and /∂θ against `backward(dy: w)`;
/// - double backward: K = ⟨B(x, θ, dy), a⟩ with B the layer's input-gradient map;
///   ∂K/∂dy, ∂K/∂θ and ∂K/∂x against `backwardOfBackward(dxBar: a)`'s dyBar, θ̄ and x̄
///   (∂K/∂x must vanish for layers whose backward does not depend on x).
final class LayerGradientTests: XCTestCase {
    private let step: Float = 1e-2
    private let tolerance = 4e-3

    private func check(
        _ label: String, batch: Int, modes: [Mode] = [.training, .inference], awayFromZero: Bool = false,
        seed: UInt64 = 1, file: StaticString = #filePath, line: UInt = #line,
        build: (ParameterStore) -> any Layer
    ) throws {
        for mode in modes {
            let store = ParameterStore()
            let layer = build(store)
            store.seal()
            GradientCheck.randomize(store, seed: seed)
            let inputCount = batch * layer.inputCount, outputCount = batch * layer.outputCount
            let x = GradientCheck.randomBuffer(inputCount, seed: seed + 1, awayFromZero: awayFromZero)
            let w = GradientCheck.randomBuffer(outputCount, seed: seed + 2)
            let dy = GradientCheck.randomBuffer(outputCount, seed: seed + 3)
            let a = GradientCheck.randomBuffer(inputCount, seed: seed + 4)
            let y = FloatBuffer(count: outputCount), dx = FloatBuffer(count: inputCount)
            let dyBar = FloatBuffer(count: outputCount), xBar = FloatBuffer(count: inputCount)
            let context = "\(label) [\(mode)]"

            let objective = { () throws -> Double in
                try layer.forward(x.pointer, y.pointer, batch: batch, mode: mode)
                return GradientCheck.dot(w.pointer, y.pointer, count: outputCount)
            }
            let backwardObjective = { () throws -> Double in
                try layer.forward(x.pointer, y.pointer, batch: batch, mode: mode)
                try layer.backward(input: x.pointer, output: y.pointer, outputGradient: dy.pointer, inputGradient: dx.pointer,
                               batch: batch, accumulateParameterGradients: false)
                return GradientCheck.dot(a.pointer, dx.pointer, count: inputCount)
            }

            // First order.
            store.zeroGradients()
            try layer.forward(x.pointer, y.pointer, batch: batch, mode: mode)
            try layer.backward(input: x.pointer, output: y.pointer, outputGradient: w.pointer, inputGradient: dx.pointer,
                           batch: batch, accumulateParameterGradients: true)
            let xIndices = GradientCheck.sampleIndices(inputCount)
            let thetaIndices = GradientCheck.sampleIndices(store.parameterCount)
            let dxAnalytic = GradientCheck.gather(dx.pointer, xIndices)
            let dThetaAnalytic = GradientCheck.gather(store.gradients.baseAddress!, thetaIndices)
            let dxNumeric = try GradientCheck.finiteDifferences(x.pointer, at: xIndices, step: step, objective)
            XCTAssertLessThan(GradientCheck.relativeError(dxAnalytic, dxNumeric), tolerance, "\(context) dx", file: file, line: line)
            if store.parameterCount > 0 {
                let numeric = try GradientCheck.finiteDifferences(store.parameters.baseAddress!, at: thetaIndices, step: step, objective)
                XCTAssertLessThan(GradientCheck.relativeError(dThetaAnalytic, numeric), tolerance, "\(context) dθ", file: file, line: line)
            }

            // Double backward.
            store.zeroGradients()
            try layer.forward(x.pointer, y.pointer, batch: batch, mode: mode)
            try layer.backward(input: x.pointer, output: y.pointer, outputGradient: dy.pointer, inputGradient: dx.pointer,
                           batch: batch, accumulateParameterGradients: false)
            try layer.backwardOfBackward(input: x.pointer, output: y.pointer, outputGradient: dy.pointer,
                                     inputGradientAdjoint: a.pointer, outputGradientAdjoint: dyBar.pointer,
                                     inputAdjoint: layer.backwardDependsOnInput ? xBar.pointer : nil, batch: batch)
            let yIndices = GradientCheck.sampleIndices(outputCount)
            let dyBarAnalytic = GradientCheck.gather(dyBar.pointer, yIndices)
            let thetaBarAnalytic = GradientCheck.gather(store.gradients.baseAddress!, thetaIndices)
            let xBarAnalytic = layer.backwardDependsOnInput ? GradientCheck.gather(xBar.pointer, xIndices)
                                                            : [Double](repeating: 0, count: xIndices.count)
            let dyBarNumeric = try GradientCheck.finiteDifferences(dy.pointer, at: yIndices, step: step, backwardObjective)
            XCTAssertLessThan(GradientCheck.relativeError(dyBarAnalytic, dyBarNumeric), tolerance, "\(context) dyBar", file: file, line: line)
            if store.parameterCount > 0 {
                let numeric = try GradientCheck.finiteDifferences(store.parameters.baseAddress!, at: thetaIndices, step: step, backwardObjective)
                let scale = Swift.max(numeric.map(abs).max()!, 1)
                XCTAssertLessThan(GradientCheck.relativeError(thetaBarAnalytic, numeric, floor: scale), tolerance,
                                  "\(context) θ̄", file: file, line: line)
            }
            let xBarNumeric = try GradientCheck.finiteDifferences(x.pointer, at: xIndices, step: step, backwardObjective)
            let scale = Swift.max(dyBarNumeric.map(abs).max()!, 1)
            XCTAssertLessThan(GradientCheck.relativeError(xBarAnalytic, xBarNumeric, floor: scale), tolerance,
                              "\(context) x̄", file: file, line: line)
        }
    }

    func testLinear() throws {
        try check("Linear", batch: 3) { Linear(store: $0, name: "fc", inputCount: 5, outputCount: 4) }
    }

    func testConv2dSamePaddingStrided() throws {
        try check("Conv2d 3x3 s(2,1)", batch: 2) {
            Conv2d(store: $0, name: "conv", input: (5, 4, 2), outputChannels: 3, kernel: (3, 3), stride: (2, 1), maxBatch: 2)
        }
        try check("Conv2d 5x5 s(2,2)", batch: 2) {
            Conv2d(store: $0, name: "conv", input: (5, 4, 2), outputChannels: 3, kernel: (5, 5), stride: (2, 2), maxBatch: 2)
        }
    }

    func testConv2dExplicitPaddingAndChunking() throws {
        // maxBatch 3 with a tiny budget would still be one chunk; batch 3 exercises the loop over samples.
        try check("Conv2d explicit", batch: 3) {
            Conv2d(store: $0, name: "conv", input: (4, 5, 1), outputChannels: 2, kernel: (2, 3), stride: (1, 2),
                   padding: .explicit(top: 1, bottom: 0, left: 0, right: 2), maxBatch: 3)
        }
    }

    /// At MatGAN's widest critic input a patch matrix is 140,800 Floats per sample, so a batch of
    /// 5 runs forward and input gradient in 5 chunks and the weight gradient in chunks of 3 and 2:
    /// both must give what the samples give one by one.
    func testConv2dChunksAgreeWithSampleBySample() throws {
        let (batch, inputCount) = (5, 43 * 8 * 64)
        let store = ParameterStore()
        let layer = Conv2d(store: store, name: "conv", input: (43, 8, 64), outputChannels: 2, kernel: (5, 5), stride: (2, 2),
                           maxBatch: batch)
        store.seal()
        var random = SplitMix64(seed: 11)
        for i in 0 ..< store.parameterCount { store.parameters[i] = Float.random(in: -0.1 ... 0.1, using: &random) }
        let x = (0 ..< batch * inputCount).map { _ in Float.random(in: -1 ... 1, using: &random) }
        let outputCount = layer.outputCount
        let dy = (0 ..< batch * outputCount).map { _ in Float.random(in: -1 ... 1, using: &random) }

        func run(_ range: Range<Int>) throws -> (y: [Float], dx: [Float], gradients: [Float]) {
            var y = [Float](repeating: 0, count: range.count * outputCount)
            var dx = [Float](repeating: 0, count: range.count * inputCount)
            store.zeroGradients()
            try x[range.lowerBound * inputCount ..< range.upperBound * inputCount].withUnsafeBufferPointer { input in
                try dy[range.lowerBound * outputCount ..< range.upperBound * outputCount].withUnsafeBufferPointer { gradient in
                    try y.withUnsafeMutableBufferPointer { output in
                        try dx.withUnsafeMutableBufferPointer { inputGradient in
                            try layer.forward(input.baseAddress!, output.baseAddress!, batch: range.count, mode: .training)
                            try layer.backward(input: input.baseAddress!, output: output.baseAddress!, outputGradient: gradient.baseAddress!,
                                               inputGradient: inputGradient.baseAddress!, batch: range.count,
                                               accumulateParameterGradients: true)
                        }
                    }
                }
            }
            return (y, dx, Array(store.gradients))
        }

        let whole = try run(0 ..< batch)
        var gradientSum = [Float](repeating: 0, count: store.parameterCount)
        for sample in 0 ..< batch {
            let alone = try run(sample ..< sample + 1)
            XCTAssertEqual(Array(whole.y[sample * outputCount ..< (sample + 1) * outputCount]), alone.y, "output of sample \(sample)")
            XCTAssertEqual(Array(whole.dx[sample * inputCount ..< (sample + 1) * inputCount]), alone.dx, "input gradient of sample \(sample)")
            for i in gradientSum.indices { gradientSum[i] += alone.gradients[i] }
        }
        for i in gradientSum.indices {
            XCTAssertEqual(whole.gradients[i], gradientSum[i], accuracy: 1e-3 * (1 + abs(gradientSum[i])), "parameter gradient \(i)")
        }
    }

    func testConvTranspose2d() throws {
        try check("ConvTranspose2d 3x3 s(2,1)", batch: 2) {
            ConvTranspose2d(store: $0, name: "deconv", input: (3, 4, 3), outputChannels: 2, output: (5, 4),
                            kernel: (3, 3), stride: (2, 1), maxBatch: 2)
        }
        try check("ConvTranspose2d 5x5 s(2,2)", batch: 2) {
            ConvTranspose2d(store: $0, name: "deconv", input: (3, 2, 3), outputChannels: 2, output: (6, 4),
                            kernel: (5, 5), stride: (2, 2), maxBatch: 2)
        }
    }

    func testBatchNormDenseAndSpatial() throws {
        try check("BatchNorm dense", batch: 5) { BatchNorm(store: $0, name: "bn", shape: [6]) }
        try check("BatchNorm spatial", batch: 3) { BatchNorm(store: $0, name: "bn", shape: [3, 2, 4]) }
    }

    func testActivations() throws {
        for function in [ActivationFunction.relu, .leakyReLU(slope: 0.2), .sigmoid, .tanh] {
            try check("\(function)", batch: 3, modes: [.training], awayFromZero: true) { _ in Activation(function, shape: [2, 3, 2]) }
        }
    }

    func testReshape() throws {
        try check("Reshape", batch: 2, modes: [.training]) { _ in Reshape(flattening: [3, 2, 2]) }
    }

    func testSamePaddingMatchesTensorFlow() {
        XCTAssertTrue(Padding.same(input: 22, kernel: 3, stride: 2) == (11, 0, 1))
        XCTAssertTrue(Padding.same(input: 11, kernel: 5, stride: 2) == (6, 2, 2))
        XCTAssertTrue(Padding.same(input: 8, kernel: 5, stride: 2) == (4, 1, 2))
        XCTAssertTrue(Padding.same(input: 85, kernel: 3, stride: 2) == (43, 1, 1))
        XCTAssertTrue(Padding.same(input: 8, kernel: 3, stride: 1) == (8, 1, 1))
    }
}
