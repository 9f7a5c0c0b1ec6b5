import NeuralNet
import TestSupport
import XCTest

/// Optimizer updates against values computed by hand in float64 (numpy) with the frameworks'
/// published formulas, three steps from p0 = [1, -2, 0.5] with gradients g1 = [0.1, -0.2, 0.3],
/// g2 = [0.05, 0.4, -0.1], g3 = [-0.3, 0, 0.2]. Float32 arithmetic agrees to about 1e-7 relative.
final class OptimizerTests: XCTestCase {
    private let start: [Float] = [1, -2, 0.5]
    private let gradients: [[Float]] = [[0.1, -0.2, 0.3], [0.05, 0.4, -0.1], [-0.3, 0, 0.2]]

    /// Runs `optimizer` over `gradients` from `start` and returns the parameters after each step.
    private func trajectory(_ optimizer: Optimizer, from start: [Float]? = nil, gradients: [[Float]]? = nil) -> [[Float]] {
        var parameters = start ?? self.start
        return (gradients ?? self.gradients).map { gradient in
            parameters.withUnsafeMutableBufferPointer { p in
                gradient.withUnsafeBufferPointer { optimizer.step(parameters: p, gradients: $0) }
            }
            return parameters
        }
    }

    private func assertClose(_ actual: [[Float]], _ expected: [[Double]], accuracy: Double = 2e-6,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (step, (a, e)) in zip(actual, expected).enumerated() {
            for (index, (x, y)) in zip(a, e).enumerated() {
                XCTAssertEqual(Double(x), y, accuracy: accuracy, "step \(step + 1), parameter \(index)", file: file, line: line)
            }
        }
    }

    /// PyTorch Adam, MatGAN's betas. Step 1 by hand: m = 0.5 g, v = 0.1 g², and the bias
    /// corrections 1 - 0.5 = 0.5 and 1 - 0.9 = 0.1 make m̂ = g, v̂ = g², so every parameter moves by
    /// lr · g / (|g| + ε) ≈ 0.1 against the sign of its gradient.
    func testAdamPyTorch() {
        let adam = Adam(parameterCount: 3, learningRate: .constant(0.1), beta1: 0.5, beta2: 0.9, epsilon: 1e-8)
        assertClose(trajectory(adam), [
            [0.90000001, -1.900000005, 0.4000000033],
            [0.8143087428, -1.962269988, 0.3847687785],
            [0.8885470216, -1.9958660635, 0.3241471998],
        ])
        XCTAssertEqual(adam.stepCount, 3)
        // m3 = 0.5 (0.5 (0.5 g1) + 0.5 g2) + 0.5 g3, v3 likewise with 0.9 and squares.
        let state = Dictionary(uniqueKeysWithValues: adam.stateBuffers.map { ($0.name, Array($0.values)) })
        assertClose([state["exp_avg"]!, state["exp_avg_sq"]!], [[-0.125, 0.075, 0.1125], [0.010035, 0.01764, 0.01219]], accuracy: 1e-8)
    }

    /// With a large ε the two placements of ε differ: PyTorch adds ε to sqrt(v̂), TF1 to sqrt(v)
    /// and folds the bias correction into the rate. Step 1, parameter 0 (g = 0.1):
    /// PyTorch 1 - 0.1 · 0.1 / (0.1 + 0.1) = 0.95; TF1 1 - 0.1 · sqrt(0.1) / 0.5 · 0.05 /
    /// (sqrt(0.001) + 0.1) = 0.9759746927.
    func testAdamEpsilonPlacementVariants() {
        let pytorch = Adam(parameterCount: 3, learningRate: .constant(0.1), beta1: 0.5, beta2: 0.9, epsilon: 0.1)
        assertClose(trajectory(pytorch), [
            [0.95, -1.9333333333, 0.425],
            [0.9125044044, -1.9808187403, 0.4145457195],
            [0.9613560508, -2.0049546466, 0.3733486197],
        ])
        let tensorflow = Adam(parameterCount: 3, learningRate: .constant(0.1), beta1: 0.5, beta2: 0.9, epsilon: 0.1,
                              variant: .tensorflow1)
        assertClose(trajectory(tensorflow), [
            [0.9759746927, -1.9612574113, 0.4513167019],
            [0.9542743206, -1.9975815692, 0.4438806143],
            [0.9914258845, -2.0167473123, 0.4120704305],
        ])
    }

    func testSchedules() {
        let constant = LearningRateSchedule.constant(0.3)
        XCTAssertEqual(constant(step: 0), 0.3)
        XCTAssertEqual(constant(step: 1000), 0.3)

        // minimum + (initial - minimum)(1 + cos(pi t / T)) / 2 with initial 1, minimum 0.1, T 100.
        let cosine = LearningRateSchedule.cosine(initial: 1, minimum: 0.1, totalSteps: 100)
        XCTAssertEqual(cosine(step: 0), 1, accuracy: 1e-6)
        XCTAssertEqual(cosine(step: 50), 0.55, accuracy: 1e-6)
        let quarter: Float = 0.1 + 0.9 * (1 + Float(0.5).squareRoot()) / 2  // cos(pi / 4) = sqrt(1/2)
        XCTAssertEqual(cosine(step: 25), quarter, accuracy: 1e-6)
        XCTAssertEqual(cosine(step: 100), 0.1, accuracy: 1e-6)
        XCTAssertEqual(cosine(step: 150), 0.1, accuracy: 1e-6)

        // The optimizer asks the schedule with the number of updates already applied: only the
        // second update has a rate. With g = 1 throughout, m̂ = v̂ = 1 after it (β1 0.5, β2 0.9:
        // m = 0.75, v = 0.19, corrections 0.75 and 0.19), so it moves every parameter by 1.
        let adam = Adam(parameterCount: 3, learningRate: LearningRateSchedule { $0 == 1 ? 1 : 0 }, beta1: 0.5, beta2: 0.9)
        assertClose(trajectory(adam, gradients: [[1, 1, 1], [1, 1, 1], [1, 1, 1]]),
                    [[1, -2, 0.5], [0, -3, -0.5], [0, -3, -0.5]])
    }

    func testLinearWarmup() {
        // Update s < 4 takes (s + 1) / 4 of the rate, later ones all of it.
        let constant = LearningRateSchedule.constant(0.4).linearWarmup(steps: 4)
        for (step, rate) in [(0, 0.1), (1, 0.2), (2, 0.3), (3, 0.4), (4, 0.4), (100, 0.4)] as [(Int, Float)] {
            XCTAssertEqual(constant(step: step), rate, accuracy: 1e-7, "step \(step)")
        }
        XCTAssertEqual(LearningRateSchedule.constant(0.4).linearWarmup(steps: 0)(step: 0), 0.4, "no warm-up")

        // Warm-up times cosine from 1 to 0 over 10 updates: (s + 1) / 4 · (1 + cos(pi s / 10)) / 2.
        let cosine = LearningRateSchedule.cosine(initial: 1, totalSteps: 10).linearWarmup(steps: 4)
        let expected: [(Int, Float)] = [
            (0, 0.25),                        // 1/4 · 1
            (1, 0.487764129),                 // 2/4 · (1 + cos(pi/10)) / 2 = 0.5 · 0.975528258
            (3, 0.793892626),                 // 4/4 · (1 + cos(3 pi/10)) / 2
            (5, 0.5),                         // after the warm-up: the cosine alone
            (10, 0), (12, 0),
        ]
        for (step, rate) in expected {
            XCTAssertEqual(cosine(step: step), rate, accuracy: 1e-6, "step \(step)")
        }
    }

    /// Restoring the state buffers and step count continues the run exactly, in the middle of a
    /// warm-up composed with a cosine decay.
    func testCheckpointRestoreContinuesIdentically() {
        let schedule = LearningRateSchedule.cosine(initial: 0.1, totalSteps: 4).linearWarmup(steps: 4)
        let original = Adam(parameterCount: 3, learningRate: schedule, beta1: 0.5, beta2: 0.9)
        let firstTwo = trajectory(original, gradients: Array(gradients.prefix(2)))
        let restored = Adam(parameterCount: 3, learningRate: schedule, beta1: 0.5, beta2: 0.9)
        for (saved, target) in zip(original.stateBuffers, restored.stateBuffers) {
            XCTAssertEqual(saved.name, target.name)
            _ = target.values.update(fromContentsOf: saved.values)
        }
        restored.stepCount = original.stepCount
        let continued = trajectory(original, from: firstTwo[1], gradients: [gradients[2]])
        let resumed = trajectory(restored, from: firstTwo[1], gradients: [gradients[2]])
        XCTAssertEqual(continued, resumed)
        XCTAssertNotEqual(resumed, trajectory(Adam(parameterCount: 3, beta1: 0.5, beta2: 0.9), from: firstTwo[1],
                                              gradients: [gradients[2]]))
    }

    /// `step(store)` updates the store's flat parameters from its gradients.
    func testStepOnParameterStore() {
        let store = ParameterStore()
        let weight = store.addParameter(name: "layer.weight", shape: [2], role: .weight(fanIn: 1, fanOut: 2))
        let bias = store.addParameter(name: "layer.bias", shape: [1], role: .bias)
        store.seal()
        store.parameters.update(fromContentsOf: [1, 2, 3])
        store.gradients.update(fromContentsOf: [1, -1, 0.5])
        // Adam's first step moves every parameter by lr against the sign of its gradient.
        Adam(parameterCount: store.parameterCount, learningRate: .constant(0.5)).step(store)
        assertClose([Array(store.parameters[weight.range]) + Array(store.parameters[bias.range])], [[0.5, 2.5, 2.5]])
    }
}
