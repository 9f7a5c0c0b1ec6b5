/// 2-D convolution over NHWC input with any kernel, stride and (asymmetric) padding; weights
/// `[kernelHeight, kernelWidth, inputChannels, outputChannels]` (TF's HWIO). Each chunk of samples
/// is one GEMM of its im2col patch matrix `[placements, kh·kw·Cin]` by the weights `[kh·kw·Cin, Cout]`.
public final class Conv2d: Layer {
    public let inputShape: [Int]
    public let outputShape: [Int]
    public var backwardDependsOnInput: Bool { false }
    /// Input image ↔ output grid index map.
    public let geometry: ConvolutionGeometry
    /// Output channels.
    public let outputChannels: Int
    /// `[kh, kw, Cin, Cout]` kernel.
    public let weight: ParameterSlice
    /// `[Cout]` biases.
    public let bias: ParameterSlice
    private let store: ParameterStore
    private let samplesPerChunk: Int
    private let samplesPerGradientChunk: Int
    private let columns: FloatBuffer

    /// A convolution of a `[height, width, channels]` input; slices `name.weight`, `name.bias`.
    public init(
        store: ParameterStore, name: String, input: (height: Int, width: Int, channels: Int), outputChannels: Int,
        kernel: (height: Int, width: Int), stride: (height: Int, width: Int) = (1, 1), padding: Padding = .same,
        maxBatch: Int
    ) {
        precondition(outputChannels > 0, "Conv2d \(name): outputChannels must be positive")
        self.store = store
        self.outputChannels = outputChannels
        geometry = ConvolutionGeometry(imageHeight: input.height, imageWidth: input.width, channels: input.channels,
                                       kernel: kernel, stride: stride, padding: padding)
        inputShape = [input.height, input.width, input.channels]
        outputShape = [geometry.gridHeight, geometry.gridWidth, outputChannels]
        weight = store.addParameter(
            name: "\(name).weight", shape: [kernel.height, kernel.width, input.channels, outputChannels],
            role: .weight(fanIn: geometry.patchCount, fanOut: kernel.height * kernel.width * outputChannels))
        bias = store.addParameter(name: "\(name).bias", shape: [outputChannels], role: .bias)
        samplesPerChunk = geometry.samplesPerChunk(maxBatch: maxBatch)
        samplesPerGradientChunk = geometry.samplesPerChunk(maxBatch: maxBatch, budget: ConvolutionGeometry.weightGradientChunkBudget)
        columns = FloatBuffer(count: Swift.max(samplesPerChunk, samplesPerGradientChunk) * geometry.placements * geometry.patchCount)
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, mode: Mode) throws {
        let (patch, cout) = (geometry.patchCount, outputChannels)
        for start in stride(from: 0, to: batch, by: samplesPerChunk) {
            let count = Swift.min(samplesPerChunk, batch - start)
            let rows = count * geometry.placements
            let output = y + start * geometry.placements * cout
            geometry.im2col(batch: x, start: start, count: count, into: columns.pointer)
            broadcastRows(store.parameter(bias), rows: rows, columns: cout, into: output)
            gemm(m: rows, n: cout, k: patch, columns.pointer, lda: patch, store.parameter(weight), ldb: cout,
                 beta: 1, output, ldc: cout)
        }
    }

    public func backward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
        outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
        batch: Int, accumulateParameterGradients: Bool
    ) throws {
        let (patch, cout) = (geometry.patchCount, outputChannels)
        if accumulateParameterGradients {
            for start in stride(from: 0, to: batch, by: samplesPerGradientChunk) {
                let count = Swift.min(samplesPerGradientChunk, batch - start)
                let rows = count * geometry.placements
                geometry.im2col(batch: x, start: start, count: count, into: columns.pointer)
                gemm(transposeA: true, m: patch, n: cout, k: rows, columns.pointer, lda: patch,
                     dy + start * geometry.placements * cout, ldb: cout, beta: 1, store.gradient(weight), ldc: cout)
            }
            addColumnSums(of: dy, rows: batch * geometry.placements, columns: cout, into: store.gradient(bias))
        }
        guard let dx else { return }
        for start in stride(from: 0, to: batch, by: samplesPerChunk) {
            let count = Swift.min(samplesPerChunk, batch - start)
            let rows = count * geometry.placements
            gemm(transposeB: true, m: rows, n: patch, k: cout, dy + start * geometry.placements * cout, lda: cout,
                 store.parameter(weight), ldb: cout, beta: 0, columns.pointer, ldc: patch)
            let images = dx + start * geometry.imageCount
            images.update(repeating: 0, count: count * geometry.imageCount)
            geometry.col2im(batch: columns.pointer, into: images, start: 0, count: count)
        }
    }

    /// `B(θ, dy)` is the transposed convolution of dy by W, linear in both: `dyBar = conv(dxBar)`
    /// without bias and `W̄ += im2col(dxBar)ᵀ·dy`.
    public func backwardOfBackward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradientAdjoint dxBar: UnsafePointer<Float>, outputGradientAdjoint dyBar: UnsafeMutablePointer<Float>,
        inputAdjoint xBar: UnsafeMutablePointer<Float>?, batch: Int
    ) throws {
        let (patch, cout) = (geometry.patchCount, outputChannels)
        for start in stride(from: 0, to: batch, by: samplesPerChunk) {
            let count = Swift.min(samplesPerChunk, batch - start)
            let rows = count * geometry.placements
            let offset = start * geometry.placements * cout
            geometry.im2col(batch: dxBar, start: start, count: count, into: columns.pointer)
            gemm(m: rows, n: cout, k: patch, columns.pointer, lda: patch, store.parameter(weight), ldb: cout,
                 beta: 0, dyBar + offset, ldc: cout)
            gemm(transposeA: true, m: patch, n: cout, k: rows, columns.pointer, lda: patch, dy + offset, ldb: cout,
                 beta: 1, store.gradient(weight), ldc: cout)
        }
    }
}
