/// Transposed 2-D convolution (the adjoint of a Conv2d from the output to the input shape), NHWC,
/// weights `[kernelHeight, kernelWidth, outputChannels, inputChannels]` as in TF's
/// `conv2d_transpose`. Each chunk is one GEMM `x·Wᵀ` into a patch matrix that col2im scatters into
/// the output. The output size is explicit, as in TF; `.same` padding is computed from it.
public final class ConvTranspose2d: Layer {
    public let inputShape: [Int]
    public let outputShape: [Int]
    public var backwardDependsOnInput: Bool { false }
    /// Output image ↔ input grid index map (the geometry of the adjoint convolution).
    public let geometry: ConvolutionGeometry
    /// Input channels.
    public let inputChannels: Int
    /// `[kh, kw, Cout, Cin]` kernel.
    public let weight: ParameterSlice
    /// `[Cout]` biases.
    public let bias: ParameterSlice
    private let store: ParameterStore
    private let samplesPerChunk: Int
    private let columns: FloatBuffer

    /// A transposed convolution from a `[height, width, channels]` input to an
    /// `[output.height, output.width, outputChannels]` output; slices `name.weight`, `name.bias`.
    /// Weight fans follow TF/PyTorch: fan-in `kh·kw·Cout`, fan-out `kh·kw·Cin`.
    public init(
        store: ParameterStore, name: String, input: (height: Int, width: Int, channels: Int), outputChannels: Int,
        output: (height: Int, width: Int), kernel: (height: Int, width: Int), stride: (height: Int, width: Int) = (1, 1),
        padding: Padding = .same, maxBatch: Int
    ) {
        precondition(input.channels > 0 && outputChannels > 0, "ConvTranspose2d \(name): channels must be positive")
        self.store = store
        inputChannels = input.channels
        geometry = ConvolutionGeometry(imageHeight: output.height, imageWidth: output.width, channels: outputChannels,
                                       kernel: kernel, stride: stride, padding: padding)
        precondition(geometry.gridHeight == input.height && geometry.gridWidth == input.width,
                     "ConvTranspose2d \(name): output \(output.height)x\(output.width) with kernel \(kernel), stride \(stride), \(padding) needs input \(geometry.gridHeight)x\(geometry.gridWidth), got \(input.height)x\(input.width)")
        inputShape = [input.height, input.width, input.channels]
        outputShape = [output.height, output.width, outputChannels]
        weight = store.addParameter(
            name: "\(name).weight", shape: [kernel.height, kernel.width, outputChannels, input.channels],
            role: .weight(fanIn: geometry.patchCount, fanOut: kernel.height * kernel.width * input.channels))
        bias = store.addParameter(name: "\(name).bias", shape: [outputChannels], role: .bias)
        samplesPerChunk = geometry.samplesPerChunk(maxBatch: maxBatch, budget: ConvolutionGeometry.transposedChunkBudget)
        columns = FloatBuffer(count: samplesPerChunk * geometry.placements * geometry.patchCount)
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, mode: Mode) throws {
        let (patch, cin, cout) = (geometry.patchCount, inputChannels, geometry.channels)
        for start in stride(from: 0, to: batch, by: samplesPerChunk) {
            let count = Swift.min(samplesPerChunk, batch - start)
            let rows = count * geometry.placements
            gemm(transposeB: true, m: rows, n: patch, k: cin, x + start * geometry.placements * cin, lda: cin,
                 store.parameter(weight), ldb: cin, beta: 0, columns.pointer, ldc: patch)
            broadcastRows(store.parameter(bias), rows: count * geometry.imageHeight * geometry.imageWidth, columns: cout,
                          into: y + start * geometry.imageCount)
            geometry.col2im(batch: columns.pointer, into: y, start: start, count: count)
        }
    }

    public func backward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
        outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
        batch: Int, accumulateParameterGradients: Bool
    ) throws {
        guard dx != nil || accumulateParameterGradients else { return }
        let (patch, cin, cout) = (geometry.patchCount, inputChannels, geometry.channels)
        for start in stride(from: 0, to: batch, by: samplesPerChunk) {
            let count = Swift.min(samplesPerChunk, batch - start)
            let rows = count * geometry.placements
            let offset = start * geometry.placements * cin
            geometry.im2col(batch: dy, start: start, count: count, into: columns.pointer)
            if let dx {
                gemm(m: rows, n: cin, k: patch, columns.pointer, lda: patch, store.parameter(weight), ldb: cin,
                     beta: 0, dx + offset, ldc: cin)
            }
            if accumulateParameterGradients {
                gemm(transposeA: true, m: patch, n: cin, k: rows, columns.pointer, lda: patch, x + offset, ldb: cin,
                     beta: 1, store.gradient(weight), ldc: cin)
                addColumnSums(of: dy + start * geometry.imageCount, rows: count * geometry.imageHeight * geometry.imageWidth,
                              columns: cout, into: store.gradient(bias))
            }
        }
    }

    /// `B(θ, dy) = im2col(dy)·W`, linear in both: `W̄ += im2col(dy)ᵀ·dxBar` and `dyBar` is the
    /// transposed convolution of dxBar without bias.
    public func backwardOfBackward(
        input x: UnsafePointer<Float>, output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradientAdjoint dxBar: UnsafePointer<Float>, outputGradientAdjoint dyBar: UnsafeMutablePointer<Float>,
        inputAdjoint xBar: UnsafeMutablePointer<Float>?, batch: Int
    ) throws {
        let (patch, cin) = (geometry.patchCount, inputChannels)
        for start in stride(from: 0, to: batch, by: samplesPerChunk) {
            let count = Swift.min(samplesPerChunk, batch - start)
            let rows = count * geometry.placements
            let offset = start * geometry.placements * cin
            geometry.im2col(batch: dy, start: start, count: count, into: columns.pointer)
            gemm(transposeA: true, m: patch, n: cin, k: rows, columns.pointer, lda: patch, dxBar + offset, ldb: cin,
                 beta: 1, store.gradient(weight), ldc: cin)
            gemm(transposeB: true, m: rows, n: patch, k: cin, dxBar + offset, lda: cin, store.parameter(weight), ldb: cin,
                 beta: 0, columns.pointer, ldc: patch)
            (dyBar + start * geometry.imageCount).update(repeating: 0, count: count * geometry.imageCount)
            geometry.col2im(batch: columns.pointer, into: dyBar, start: start, count: count)
        }
    }
}
