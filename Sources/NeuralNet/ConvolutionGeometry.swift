/// How a convolution pads its input.
public enum Padding: Sendable, Equatable {
    /// TensorFlow "SAME": output = ceil(input / stride); the odd extra pad goes to the bottom/right.
    case same
    /// No padding ("VALID").
    case valid
    /// Explicit, possibly asymmetric, padding.
    case explicit(top: Int, bottom: Int, left: Int, right: Int)

    /// TensorFlow SAME padding along one axis: the output length `ceil(input / stride)` and the
    /// pads before and after (`total = max((output − 1)·stride + kernel − input, 0)`, before =
    /// total / 2). E.g. 22 → 11 with kernel 3, stride 2 pads (0, 1).
    public static func same(input: Int, kernel: Int, stride: Int) -> (output: Int, before: Int, after: Int) {
        let output = (input + stride - 1) / stride
        let total = Swift.max((output - 1) * stride + kernel - input, 0)
        return (output, total / 2, total - total / 2)
    }
}

/// The index map shared by a convolution and its transpose: kernel placements on a grid of
/// `gridHeight × gridWidth` positions over an NHWC "image" `[imageHeight, imageWidth, channels]`.
/// A Conv2d maps image → grid; a ConvTranspose2d maps grid → image with the same geometry.
public struct ConvolutionGeometry: Sendable, Equatable {
    /// Image size (a Conv2d's input, a ConvTranspose2d's output).
    public let imageHeight: Int, imageWidth: Int, channels: Int
    /// Kernel size.
    public let kernelHeight: Int, kernelWidth: Int
    /// Strides.
    public let strideHeight: Int, strideWidth: Int
    /// Zero padding around the image.
    public let padTop: Int, padBottom: Int, padLeft: Int, padRight: Int
    /// Kernel placements (a Conv2d's output size, a ConvTranspose2d's input size).
    public let gridHeight: Int, gridWidth: Int

    /// Geometry over an image with `padding`; the grid size follows from the padded image.
    public init(imageHeight: Int, imageWidth: Int, channels: Int, kernel: (height: Int, width: Int),
                stride: (height: Int, width: Int), padding: Padding) {
        precondition(imageHeight > 0 && imageWidth > 0 && channels > 0 && kernel.height > 0 && kernel.width > 0
                     && stride.height > 0 && stride.width > 0,
                     "ConvolutionGeometry: sizes must be positive (image \(imageHeight)x\(imageWidth)x\(channels), kernel \(kernel), stride \(stride))")
        self.imageHeight = imageHeight
        self.imageWidth = imageWidth
        self.channels = channels
        kernelHeight = kernel.height
        kernelWidth = kernel.width
        strideHeight = stride.height
        strideWidth = stride.width
        switch padding {
        case .same:
            let vertical = Padding.same(input: imageHeight, kernel: kernel.height, stride: stride.height)
            let horizontal = Padding.same(input: imageWidth, kernel: kernel.width, stride: stride.width)
            (padTop, padBottom, padLeft, padRight) = (vertical.before, vertical.after, horizontal.before, horizontal.after)
        case .valid:
            (padTop, padBottom, padLeft, padRight) = (0, 0, 0, 0)
        case .explicit(let top, let bottom, let left, let right):
            precondition(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, "ConvolutionGeometry: negative padding \(padding)")
            (padTop, padBottom, padLeft, padRight) = (top, bottom, left, right)
        }
        gridHeight = (imageHeight + padTop + padBottom - kernel.height) / stride.height + 1
        gridWidth = (imageWidth + padLeft + padRight - kernel.width) / stride.width + 1
        precondition(gridHeight > 0 && gridWidth > 0, "ConvolutionGeometry: kernel \(kernel) larger than padded image")
    }

    /// Floats per image.
    public var imageCount: Int { imageHeight * imageWidth * channels }
    /// Kernel placements per image.
    public var placements: Int { gridHeight * gridWidth }
    /// Floats per patch, `kernelHeight · kernelWidth · channels` (one im2col row).
    public var patchCount: Int { kernelHeight * kernelWidth * channels }

    /// Writes the `[placements, patchCount]` patch matrix of one image (zeros where padded).
    /// A kernel row at a fixed image row is contiguous in NHWC, so each is one copy.
    @inline(__always)
    func im2col(_ image: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>) {
        let rowFloats = kernelWidth * channels
        var destination = columns
        for gh in 0 ..< gridHeight {
            for gw in 0 ..< gridWidth {
                let left = gw * strideWidth - padLeft
                let first = Swift.max(0, -left), last = Swift.min(kernelWidth, imageWidth - left)
                for ki in 0 ..< kernelHeight {
                    let ih = gh * strideHeight - padTop + ki
                    if ih < 0 || ih >= imageHeight || first >= last {
                        destination.update(repeating: 0, count: rowFloats)
                    } else {
                        if first > 0 { destination.update(repeating: 0, count: first * channels) }
                        (destination + first * channels).update(
                            from: image + ((ih * imageWidth + left + first) * channels), count: (last - first) * channels)
                        if last < kernelWidth {
                            (destination + last * channels).update(repeating: 0, count: (kernelWidth - last) * channels)
                        }
                    }
                    destination += rowFloats
                }
            }
        }
    }

    /// Adds (`+=`) the `[placements, patchCount]` patch matrix of one image back into the image
    /// (the adjoint of ``im2col(_:_:)``).
    @inline(__always)
    func col2im(_ columns: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        let rowFloats = kernelWidth * channels
        var source = columns
        for gh in 0 ..< gridHeight {
            for gw in 0 ..< gridWidth {
                let left = gw * strideWidth - padLeft
                let first = Swift.max(0, -left), last = Swift.min(kernelWidth, imageWidth - left)
                for ki in 0 ..< kernelHeight {
                    let ih = gh * strideHeight - padTop + ki
                    if ih >= 0 && ih < imageHeight && first < last {
                        let target = image + ((ih * imageWidth + left + first) * channels)
                        let from = source + first * channels
                        for j in 0 ..< (last - first) * channels { target[j] += from[j] }
                    }
                    source += rowFloats
                }
            }
        }
    }

    /// Writes the patch matrices of images `start ..< start + count` of a batch one after another
    /// into `columns`.
    @inline(__always)
    func im2col(batch images: UnsafePointer<Float>, start: Int, count: Int, into columns: UnsafeMutablePointer<Float>) {
        let patchFloats = placements * patchCount
        for s in 0 ..< count {
            im2col(images + (start + s) * imageCount, columns + s * patchFloats)
        }
    }

    /// `images[start ..< start + count] += col2im(columns)` for consecutive patch matrices.
    @inline(__always)
    func col2im(batch columns: UnsafePointer<Float>, into images: UnsafeMutablePointer<Float>, start: Int, count: Int) {
        let patchFloats = placements * patchCount
        for s in 0 ..< count {
            col2im(columns + s * patchFloats, images + (start + s) * imageCount)
        }
    }

    /// Patch-matrix Floats per chunk for the GEMMs that pass over it once (forward, input
    /// gradient): 128 KiB, so the matrix im2col has just written is still in L2 when OpenBLAS
    /// packs it (and col2im reads the GEMM's output while it is). One sample per chunk for most
    /// MatGAN layers; against 8 MiB chunks MatGAN-ICSD training ran 15-20 % faster
    /// (docs/performance.md).
    static let patchChunkBudget = 1 << 15
    /// Patch-matrix Floats per chunk for the weight-gradient GEMM, which reduces over the chunk's
    /// rows: longer chunks mean fewer passes over the accumulated `[patch, channels]` gradient.
    static let weightGradientChunkBudget = 1 << 19
    /// Patch-matrix Floats per chunk of a transposed convolution, whose forward GEMM (`k` = its
    /// few input channels) writes the matrix col2im scatters: 8 MiB. Chunks of one sample made
    /// MatGAN-ICSD generation 18 % slower (4,650 → 3,820 samples/s at batch 4096).
    static let transposedChunkBudget = 1 << 21

    /// Samples per im2col chunk so the patch matrix stays near `budget` Floats (at least one).
    func samplesPerChunk(maxBatch: Int, budget: Int = patchChunkBudget) -> Int {
        Swift.max(1, Swift.min(maxBatch, budget / Swift.max(1, placements * patchCount)))
    }
}

