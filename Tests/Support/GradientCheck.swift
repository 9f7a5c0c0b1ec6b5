import NeuralNet
import Random
import XCTest

/// Finite-difference helpers shared by the layer, network and MatGAN tests.
///
/// The engine computes in Float, so the references are central differences of Float forward
/// passes whose scalar objective is accumulated in Double. With step h the truncation error is
/// O(h²·f''') and the rounding error about ε_Float·|terms|/h; h = 1e-2 (layers) or 3e-3 (networks)
/// keeps both near 1e-4 relative, so tolerances of a few 1e-3 (layers) and 2e-2 (whole networks,
/// where a perturbation can also move a few LeakyReLU pre-activations across their kink) separate
/// a correct gradient from a wrong term, which shows up as an O(1) relative error.
package enum GradientCheck {
    /// Central differences of `f` with respect to `values[i]` for each index.
    package static func finiteDifferences(
        _ values: UnsafeMutablePointer<Float>, at indices: [Int], step: Float, _ f: () throws -> Double
    ) rethrows -> [Double] {
        try indices.map { i in
            let original = values[i]
            let up = original + step, down = original - step
            values[i] = up
            let plus = try f()
            values[i] = down
            let minus = try f()
            values[i] = original
            return (plus - minus) / (Double(up) - Double(down))
        }
    }

    /// Up to `limit` indices spread evenly over `0 ..< count`.
    package static func sampleIndices(_ count: Int, limit: Int = 48) -> [Int] {
        count <= limit ? Array(0 ..< count) : (0 ..< limit).map { $0 * count / limit }
    }

    /// ‖a − b‖ / max(‖b‖, floor).
    package static func relativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-6) -> Double {
        precondition(a.count == b.count)
        var difference = 0.0, norm = 0.0
        for (x, y) in zip(a, b) {
            difference += (x - y) * (x - y)
            norm += y * y
        }
        return difference.squareRoot() / Swift.max(norm.squareRoot(), floor)
    }

    /// `Σ a_i b_i` in Double.
    package static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        var sum = 0.0
        for i in 0 ..< count { sum += Double(a[i]) * Double(b[i]) }
        return sum
    }

    /// Values at `indices` as Doubles.
    package static func gather(_ values: UnsafePointer<Float>, _ indices: [Int]) -> [Double] {
        indices.map { Double(values[$0]) }
    }

    /// Random parameters: weights U(−scale, scale) with scale 1/sqrt(fan-in)·`weightGain`,
    /// biases and shifts U(−0.5, 0.5), batch-norm scales U(0.5, 1.5); running means U(−0.5, 0.5)
    /// and variances U(0.5, 2).
    package static func randomize(_ store: ParameterStore, seed: UInt64, weightGain: Float = 1.5) {
        var stream = RandomStream(seed: seed, stream: 7)
        for slice in store.parameterSlices {
            let values = UnsafeMutableBufferPointer(rebasing: store.parameters[slice.range])
            switch slice.role {
            case .weight(let fanIn, _):
                let bound = weightGain / Float(fanIn).squareRoot()
                stream.fillUniform(values, in: -bound ... bound)
            case .scale: stream.fillUniform(values, in: 0.5 ... 1.5)
            case .bias, .shift, .state: stream.fillUniform(values, in: -0.5 ... 0.5)
            }
        }
        for slice in store.stateSlices {
            let values = UnsafeMutableBufferPointer(rebasing: store.buffers[slice.range])
            stream.fillUniform(values, in: slice.name.hasSuffix("variance") ? 0.5 ... 2 : -0.5 ... 0.5)
        }
    }

    /// A buffer of `count` normal (or, with `awayFromZero`, |value| ≥ 0.1) random Floats.
    package static func randomBuffer(_ count: Int, seed: UInt64, awayFromZero: Bool = false) -> FloatBuffer {
        let buffer = FloatBuffer(count: count)
        var stream = RandomStream(seed: seed, stream: 3)
        stream.fillNormal(buffer.storage)
        if awayFromZero {
            for i in 0 ..< count { buffer.pointer[i] += buffer.pointer[i] >= 0 ? 0.1 : -0.1 }
        }
        return buffer
    }
}
