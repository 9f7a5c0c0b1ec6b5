import NeuralNet

/// A reducer for single-process tests that hands every reduction, sum or mean, to closures: to
/// record what a trainer reduces, or to play the part of the other replicas.
package final class ClosureReducer: Reducer {
    package let replicaCount: Int
    private let floats: (UnsafeMutableBufferPointer<Float>) -> Void
    private let doubles: (UnsafeMutableBufferPointer<Double>) -> Void

    package init(replicaCount: Int = 1, floats: @escaping (UnsafeMutableBufferPointer<Float>) -> Void = { _ in },
                 doubles: @escaping (UnsafeMutableBufferPointer<Double>) -> Void = { _ in }) {
        self.replicaCount = replicaCount
        self.floats = floats
        self.doubles = doubles
    }

    package func sum(_ values: UnsafeMutableBufferPointer<Float>) { floats(values) }
    package func sum(_ values: UnsafeMutableBufferPointer<Double>) { doubles(values) }
    package func mean(_ values: UnsafeMutableBufferPointer<Float>) { floats(values) }
    package func mean(_ values: UnsafeMutableBufferPointer<Double>) { doubles(values) }
}
