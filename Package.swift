// swift-tools-version: 6.1
import PackageDescription

/// Release builds skip exclusivity checks in the numeric modules: their hot loops run over
/// unsafe buffers, and the checks would otherwise cost more than the arithmetic.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "matgan-dist",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "matgan-dist", targets: ["Launch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // C libraries: OpenMPI, serial HDF5, OpenBLAS (with LAPACK) and zlib, each with a shim header
        // that turns the C macros Swift cannot import into inline functions.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-serial", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        /// cpuid and xgetbv: the widest vector instruction set the processor and OS support.
        .target(name: "CPUFeatures"),
        /// The BLAS this process runs: the OpenBLAS kernel set chosen before start-up, its numeric
        /// check, measured speed and provenance.
        .target(name: "BLAS", dependencies: ["COpenBLAS", "CPUFeatures"]),

        /// Standalone SVG plots of the reports' curves and distributions.
        .target(name: "Plotting"),
        /// Counter-based random numbers (Philox4x32-10) addressed by (seed, stream, index).
        .target(name: "Random", swiftSettings: numericSettings),
        /// MPI communicator: collectives over contiguous buffers, lifecycle, clean aborts.
        .target(name: "Distributed", dependencies: ["CMPI"]),
        /// HDF5 files: typed datasets, attributes, chunked appends, shard reads, atomic writes.
        .target(name: "HDF5", dependencies: ["CHDF5"]),
        /// Training engine: flat parameter buffers, layers with forward/backward, losses, optimizers,
        /// the papers' networks.
        .target(name: "NeuralNet", dependencies: ["COpenBLAS", "Random"], swiftSettings: numericSettings),
        /// Chemistry: elements, formulas, composition encodings, SMACT validity, data preparation.
        .target(name: "Chemistry", dependencies: ["CZlib", "HDF5", "Random", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: numericSettings),
        /// The generative models and their distributed training, generation and evaluation.
        .target(name: "Models", dependencies: ["BLAS", "NeuralNet", "Chemistry", "Distributed", "HDF5", "Random", "Elpasolite",
                                              "Property", "BayesianOptimization", "Plotting",
                                              .product(name: "Logging", package: "swift-log")],
                swiftSettings: numericSettings),
        /// The elpasolite benchmark: kernel-ridge oracle, labelled tuple space, generation metrics.
        .target(name: "Elpasolite", dependencies: ["Chemistry", "Distributed", "HDF5", "COpenBLAS", "Random", "Plotting"], swiftSettings: numericSettings),
        /// Property prediction: Magpie composition descriptors, random forest, gradient-boosted trees, ElemNet MLP.
        .target(name: "Property", dependencies: ["Chemistry", "NeuralNet", "Distributed", "HDF5", "Random", "COpenBLAS"],
                swiftSettings: numericSettings),
        /// Bayesian optimisation: Gaussian-process regression (Matern 5/2) and UCB / EI acquisition.
        .target(name: "BayesianOptimization", dependencies: ["COpenBLAS", "Random"], swiftSettings: numericSettings),
        .executableTarget(
            name: "Launch",
            dependencies: [
                "BLAS", "Distributed", "HDF5", "NeuralNet", "Chemistry", "Models",
                "Elpasolite", "Property", "BayesianOptimization", "Plotting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        /// Runs the built executable (alone or under mpirun) for end-to-end tests.
        .target(name: "TestSupport", path: "Tests/Support"),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "TestSupport", "Launch"]),
        .testTarget(name: "BLASTests", dependencies: ["BLAS", "TestSupport", "Launch"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "TestSupport"]),
        .testTarget(name: "RandomTests", dependencies: ["Random"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "Random"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "TestSupport", "Launch"]),
        .testTarget(name: "ChemistryTests", dependencies: ["Chemistry", "TestSupport", "Launch"], exclude: ["Fixtures"]),
        .testTarget(name: "ElpasoliteTests", dependencies: ["Elpasolite", "TestSupport", "Launch"]),
        .testTarget(name: "PropertyTests", dependencies: ["Property", "Chemistry", "Distributed", "HDF5", "Random", "TestSupport", "Launch"]),
        .testTarget(name: "PlottingTests", dependencies: ["Plotting"]),
        .testTarget(name: "BayesianOptimizationTests", dependencies: ["BayesianOptimization", "Random"]),
    ]
)
