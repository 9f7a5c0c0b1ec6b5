import Foundation
import NeuralNet

/// An independent Double-precision evaluation of the WGAN-GP penalty of a critic built from the
/// engine's layers (a leading ``ConcatenateCondition`` contributes its stored condition rows and
/// limits the norm to the data part): plain loops (no im2col, no GEMM) for the forward pass in training mode and the
/// backward pass of ΣD to the input, reading the layers' configuration and a Double copy of the
/// store's parameters. Central differences of it with step 1e-6 have error ~1e-10 and, unlike
/// Float differences, almost never straddle a LeakyReLU kink, so they are a sharp reference for
/// the engine's double backward through piecewise-linear critics.
package struct PenaltyReference {
    package let layers: [any Layer]
    package let batch: Int
    package let weight: Double

    package init(layers: [any Layer], batch: Int, weight: Double) {
        self.layers = layers
        self.batch = batch
        self.weight = weight
    }

    /// The penalty at `parameters` (a Double copy of `store.parameters`) and input `x`.
    package func penalty(parameters p: [Double], input x: [Double]) -> Double {
        p.withUnsafeBufferPointer { p in
            var activations = [x]
            var statistics: [(mean: [Double], inverse: [Double])?] = []
            for layer in layers {
                let (y, stats) = forward(layer, activations.last!, p)
                activations.append(y)
                statistics.append(stats)
            }
            var gradient = [Double](repeating: 1, count: activations.last!.count)
            for k in layers.indices.reversed() {
                gradient = backward(layers[k], activations[k], gradient, statistics[k], p)
            }
            let width = gradient.count / batch
            var total = 0.0
            for i in 0 ..< batch {
                var squares = 0.0
                for j in 0 ..< width { squares += gradient[i * width + j] * gradient[i * width + j] }
                let norm = (1e-8 + squares).squareRoot()
                total += (norm - 1) * (norm - 1)
            }
            return weight * total / Double(batch)
        }
    }

    private func forward(
        _ layer: any Layer, _ x: [Double], _ p: UnsafeBufferPointer<Double>
    ) -> ([Double], (mean: [Double], inverse: [Double])?) {
        switch layer {
        case let linear as Linear:
            let (n, m) = (linear.inputCount, linear.outputCount)
            var y = [Double](repeating: 0, count: batch * m)
            for s in 0 ..< batch {
                for o in 0 ..< m {
                    var sum = p[linear.bias.offset + o]
                    for i in 0 ..< n { sum += x[s * n + i] * p[linear.weight.offset + i * m + o] }
                    y[s * m + o] = sum
                }
            }
            return (y, nil)
        case let conv as Conv2d:
            var y = [Double](repeating: 0, count: batch * conv.outputCount)
            x.withUnsafeBufferPointer { x in
                y.withUnsafeMutableBufferPointer { y in
                    convolve(conv) { input, output, weight, count in
                        for co in 0 ..< count { y[output + co] += x[input] * p[weight + co] }
                    }
                }
            }
            for i in 0 ..< y.count { y[i] += p[conv.bias.offset + i % conv.outputChannels] }
            return (y, nil)
        case let norm as BatchNorm:
            let c = norm.channels, rows = x.count / c
            var mean = [Double](repeating: 0, count: c), variance = [Double](repeating: 0, count: c)
            for r in 0 ..< rows { for j in 0 ..< c { mean[j] += x[r * c + j] / Double(rows) } }
            for r in 0 ..< rows { for j in 0 ..< c { variance[j] += (x[r * c + j] - mean[j]) * (x[r * c + j] - mean[j]) / Double(rows) } }
            let inverse = variance.map { 1 / ($0 + Double(norm.epsilon)).squareRoot() }
            var y = x
            for r in 0 ..< rows {
                for j in 0 ..< c {
                    y[r * c + j] = p[norm.scale.offset + j] * (x[r * c + j] - mean[j]) * inverse[j] + p[norm.shift.offset + j]
                }
            }
            return (y, (mean, inverse))
        case let activation as Activation:
            return (x.map { value in
                switch activation.function {
                case .relu: Swift.max(value, 0)
                case .leakyReLU(let slope): value > 0 ? value : Double(slope) * value
                case .sigmoid: 1 / (1 + exp(-value))
                case .tanh: tanh(value)
                }
            }, nil)
        case let concatenation as ConcatenateCondition:
            let (n, c) = (concatenation.inputCount, concatenation.conditionCount)
            return ((0 ..< batch).flatMap { s in
                x[(s * n) ..< ((s + 1) * n)] + (0 ..< c).map { Double(concatenation.conditions.pointer[s * c + $0]) }
            }, nil)
        case let norm as LayerNorm:
            return (referenceLayerNorm(x, gamma: Array(p[norm.scale.range]), beta: Array(p[norm.shift.range]),
                                       features: norm.inputCount), nil)
        case is Reshape:
            return (x, nil)
        default:
            preconditionFailure("PenaltyReference: no Double reference for \(type(of: layer))")
        }
    }

    private func backward(
        _ layer: any Layer, _ x: [Double], _ dy: [Double], _ stats: (mean: [Double], inverse: [Double])?,
        _ p: UnsafeBufferPointer<Double>
    ) -> [Double] {
        switch layer {
        case let linear as Linear:
            let (n, m) = (linear.inputCount, linear.outputCount)
            var dx = [Double](repeating: 0, count: batch * n)
            for s in 0 ..< batch {
                for i in 0 ..< n {
                    var sum = 0.0
                    for o in 0 ..< m { sum += dy[s * m + o] * p[linear.weight.offset + i * m + o] }
                    dx[s * n + i] = sum
                }
            }
            return dx
        case let conv as Conv2d:
            var dx = [Double](repeating: 0, count: x.count)
            dy.withUnsafeBufferPointer { dy in
                dx.withUnsafeMutableBufferPointer { dx in
                    convolve(conv) { input, output, weight, count in
                        var sum = 0.0
                        for co in 0 ..< count { sum += dy[output + co] * p[weight + co] }
                        dx[input] += sum
                    }
                }
            }
            return dx
        case let norm as BatchNorm:
            let (mean, inverse) = stats!
            let c = norm.channels, rows = x.count / c
            var meanGradient = [Double](repeating: 0, count: c), meanProduct = [Double](repeating: 0, count: c)
            for r in 0 ..< rows {
                for j in 0 ..< c {
                    meanGradient[j] += dy[r * c + j] / Double(rows)
                    meanProduct[j] += dy[r * c + j] * (x[r * c + j] - mean[j]) * inverse[j] / Double(rows)
                }
            }
            var dx = x
            for r in 0 ..< rows {
                for j in 0 ..< c {
                    let normalized = (x[r * c + j] - mean[j]) * inverse[j]
                    dx[r * c + j] = p[norm.scale.offset + j] * inverse[j]
                        * (dy[r * c + j] - meanGradient[j] - normalized * meanProduct[j])
                }
            }
            return dx
        case let activation as Activation:
            return zip(x, dy).map { value, gradient in
                switch activation.function {
                case .relu: value > 0 ? gradient : 0
                case .leakyReLU(let slope): value > 0 ? gradient : Double(slope) * gradient
                case .sigmoid:
                    { s in gradient * s * (1 - s) }(1 / (1 + exp(-value)))
                case .tanh:
                    { t in gradient * (1 - t * t) }(tanh(value))
                }
            }
        case let concatenation as ConcatenateCondition:
            let (n, m) = (concatenation.inputCount, concatenation.outputCount)
            return (0 ..< batch).flatMap { s in dy[(s * m) ..< (s * m + n)] }
        case let norm as LayerNorm:
            return referenceLayerNormBackward(x, gamma: Array(p[norm.scale.range]), dy: dy, features: norm.inputCount)
        case is Reshape:
            return dy
        default:
            preconditionFailure("PenaltyReference: no Double reference for \(type(of: layer))")
        }
    }

    /// Calls `body(inputIndex, outputIndex, weightIndex, outputChannels)` for every input element
    /// under every kernel tap: the multiplies run over the output channels.
    private func convolve(_ conv: Conv2d, _ body: (Int, Int, Int, Int) -> Void) {
        let g = conv.geometry, cout = conv.outputChannels
        for s in 0 ..< batch {
            for gh in 0 ..< g.gridHeight {
                for gw in 0 ..< g.gridWidth {
                    let output = ((s * g.gridHeight + gh) * g.gridWidth + gw) * cout
                    for ki in 0 ..< g.kernelHeight {
                        let ih = gh * g.strideHeight - g.padTop + ki
                        guard ih >= 0 && ih < g.imageHeight else { continue }
                        for kj in 0 ..< g.kernelWidth {
                            let iw = gw * g.strideWidth - g.padLeft + kj
                            guard iw >= 0 && iw < g.imageWidth else { continue }
                            for ci in 0 ..< g.channels {
                                let input = ((s * g.imageHeight + ih) * g.imageWidth + iw) * g.channels + ci
                                let weight = conv.weight.offset + ((ki * g.kernelWidth + kj) * g.channels + ci) * cout
                                body(input, output, weight, cout)
                            }
                        }
                    }
                }
            }
        }
    }
}
