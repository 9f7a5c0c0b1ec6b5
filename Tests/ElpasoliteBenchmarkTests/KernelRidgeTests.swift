import Chemistry
import ElpasoliteBenchmark
import Foundation
import XCTest

final class KernelRidgeTests: XCTestCase {
    /// Na(3,1) K(4,1) Cl(3,7) F(2,7) against Li(2,1) Rb(5,1) Br(4,7) O(2,6): 1 per site directly;
    /// with the second compound's A and B swapped, Na-Rb 2 and K-Li 2, so 6.
    func testDistanceAndKernelByHand() {
        let x = compound("Na", "K", "Cl", "F")
        let y = compound("Li", "Rb", "Br", "O")
        XCTAssertEqual(LaplacianKernel.distance(x, y), 4)
        XCTAssertEqual(LaplacianKernel.distance(x, y.swappingAB), 6)
        XCTAssertEqual(LaplacianKernel.distance(x, x), 0)
        // H(1,1)-Xe(5,8) 4+7, Li(2,1)-Kr(4,8) 2+7, Na(3,1)-Ar(3,8) 0+7, K(4,1)-Ne(2,8) 2+7.
        XCTAssertEqual(LaplacianKernel.distance(compound("H", "Li", "Na", "K"), compound("Xe", "Kr", "Ar", "Ne")), 36)
        let kernel = LaplacianKernel(width: 2)
        XCTAssertEqual(kernel.plainValue(x, y), exp(-2), accuracy: 1e-15)
        XCTAssertEqual(kernel(x, y), 0.5 * (exp(-2) + exp(-3)), accuracy: 1e-15)
    }

    func testKernelIsSymmetricAndInvariantUnderTheABSwap() {
        var sampler = TupleSampler(seed: 7)
        let kernel = LaplacianKernel(width: 5)
        for _ in 0..<200 {
            let x = Elpasolite(index: sampler.nextIndex())
            let y = Elpasolite(index: sampler.nextIndex())
            let value = kernel(x, y)
            XCTAssertEqual(kernel(y, x), value, accuracy: 1e-15)
            XCTAssertEqual(kernel(x.swappingAB, y), value, accuracy: 1e-15)
            XCTAssertEqual(kernel(x, y.swappingAB), value, accuracy: 1e-15)
            XCTAssertEqual(kernel(x.swappingAB, y.swappingAB), value, accuracy: 1e-15)
            XCTAssertGreaterThan(value, 0)
            XCTAssertLessThanOrEqual(value, 1)
        }
    }

    /// The Cholesky fit equals a Gaussian-elimination solve of `(K + λI) α = y − mean(y)`.
    func testFitMatchesDirectSolve() throws {
        var sampler = TupleSampler(seed: 11)
        let compounds = sampler.compounds(30)
        let energies = compounds.indices.map { sin(Double($0)) * 2 + 0.3 }
        let kernel = LaplacianKernel(width: 3)
        let lambda = 0.01
        let model = try KernelRidgeModel(fitting: compounds, energies: energies, kernel: kernel, regularisation: lambda)
        let mean = energies.reduce(0, +) / Double(energies.count)
        XCTAssertEqual(model.offset, mean, accuracy: 1e-14)
        let n = compounds.count
        var matrix = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { matrix[i * n + j] = kernel(compounds[i], compounds[j]) + (i == j ? lambda : 0) }
        }
        let expected = gaussianSolve(matrix, energies.map { $0 - mean })
        for (actual, reference) in zip(model.coefficients, expected) {
            XCTAssertEqual(actual, reference, accuracy: 1e-9 * max(1, abs(reference)))
        }
        // At the training points the fit leaves the residual λα.
        for (index, prediction) in model.predictions(for: compounds).enumerated() {
            XCTAssertEqual(prediction, energies[index] - lambda * model.coefficients[index], accuracy: 1e-9)
        }
    }

    /// Symmetrised kernel with λ on n rows = plain kernel with 2λ on the 2n rows augmented with
    /// all A/B swaps: same predictions anywhere.
    func testSymmetrisedKernelEqualsSwapAugmentedTraining() throws {
        var sampler = TupleSampler(seed: 23)
        let compounds = sampler.compounds(20)
        let energies = compounds.indices.map { cos(Double($0) * 0.7) }
        let kernel = LaplacianKernel(width: 4)
        let lambda = 0.05
        let model = try KernelRidgeModel(fitting: compounds, energies: energies, kernel: kernel, regularisation: lambda)

        let augmented = compounds + compounds.map(\.swappingAB)
        let targets = (energies + energies).map { $0 - model.offset }
        let n = augmented.count
        var matrix = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { matrix[i * n + j] = kernel.plainValue(augmented[i], augmented[j]) + (i == j ? 2 * lambda : 0) }
        }
        let beta = gaussianSolve(matrix, targets)
        let queries = sampler.compounds(50) + compounds
        for (query, prediction) in zip(queries, model.predictions(for: queries)) {
            let reference = model.offset + zip(augmented, beta).reduce(0) { $0 + $1.1 * kernel.plainValue(query, $1.0) }
            XCTAssertEqual(prediction, reference, accuracy: 1e-9)
            XCTAssertEqual(model.predictions(for: [query.swappingAB])[0], prediction, accuracy: 1e-12)
        }
    }

    func testNonPositiveDefiniteSystemThrows() {
        let x = compound("Na", "K", "Cl", "F")
        XCTAssertThrowsError(try KernelRidgeModel(fitting: [x, x], energies: [0, 1], kernel: LaplacianKernel(width: 1),
                                                  regularisation: -2)) { error in
            XCTAssertTrue("\(error)".contains("dpotrf"), "\(error)")
        }
    }

    /// Targets drawn from a kernel model of width 6: a far too narrow width or a far too strong
    /// regularisation predicts little more than the mean, so CV must pick (6, 1e-8). The error
    /// sums of tasks split over two "ranks" add up to the one-rank sums.
    func testCrossValidationPicksTheKnownBestPointAndSplitsOverRanks() throws {
        var sampler = TupleSampler(seed: 31)
        let anchors = sampler.compounds(15)
        let truth = LaplacianKernel(width: 6)
        let compounds = sampler.compounds(160)
        let energies = compounds.map { x in anchors.enumerated().reduce(0) { $0 + Double($1.offset % 5 - 2) * truth(x, $1.element) } }
        let grid = try CrossValidationGrid(widths: [0.05, 6], regularisations: [1e-8, 1e3])
        let crossValidation = CrossValidation(compounds: compounds, energies: energies, folds: compounds.indices.map { $0 % 4 },
                                              foldCount: 4, grid: grid)
        XCTAssertEqual(crossValidation.taskCount, 8)
        let sums = try crossValidation.absoluteErrorSums(rank: 0, size: 1)
        let result = crossValidation.result(absoluteErrorSums: sums)
        XCTAssertEqual(result.best.width, 6)
        XCTAssertEqual(result.best.regularisation, 1e-8)
        XCTAssertLessThan(result.best.meanAbsoluteError, 0.5 * result.meanAbsoluteError(widthIndex: 0, regularisationIndex: 0))
        XCTAssertLessThan(result.best.meanAbsoluteError, 0.5 * result.meanAbsoluteError(widthIndex: 1, regularisationIndex: 1))

        let first = try crossValidation.absoluteErrorSums(rank: 0, size: 2)
        let second = try crossValidation.absoluteErrorSums(rank: 1, size: 2)
        for index in sums.indices { XCTAssertEqual(first[index] + second[index], sums[index], accuracy: 1e-9) }
    }

    func testGridRejectsEmptyOrNonPositiveValues() {
        XCTAssertThrowsError(try CrossValidationGrid(widths: [], regularisations: [1]))
        XCTAssertThrowsError(try CrossValidationGrid(widths: [1], regularisations: [0]))
        XCTAssertThrowsError(try CrossValidationGrid(widths: [-1], regularisations: [1]))
    }
}
