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
        /// HDF5 files: typed datasets, attributes, chunked appends, shard reads, atomic writes, checksums.
        .target(name: "HDF5", dependencies: ["CHDF5", .product(name: "Logging", package: "swift-log")]),
        /// The training engine: flat parameter buffers, layers with forward and backward, losses,
        /// optimizers, WGAN-GP, and the reducer through which data parallelism plugs in. No MPI.
        .target(name: "NeuralNet", dependencies: ["COpenBLAS", "Random"], swiftSettings: numericSettings),
        /// Chemistry: elements, formulas, compositions, matrix encodings, SMACT validity. No I/O.
        .target(name: "Chemistry", dependencies: ["Random"], swiftSettings: numericSettings),
        /// Data sets on disk and across ranks: CSV reading (plain or gzip), preparation into HDF5,
        /// prepared and sample files, training sets, distributed de-duplication, file digests.
        .target(name: "Datasets", dependencies: ["Chemistry", "CZlib", "HDF5", "Distributed", "Random",
                                                .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: numericSettings),
        /// One data-parallel training session: run directory, resume, checkpoints, batches over
        /// ranks, the cross-rank reducer, stop conditions, progress and metrics.
        .target(name: "Training", dependencies: ["BLAS", "NeuralNet", "Datasets", "Distributed", "HDF5", "Random",
                                                .product(name: "Logging", package: "swift-log")],
                swiftSettings: numericSettings),
        /// MatGAN (Dan et al. 2020): networks, WGAN-GP and autoencoder training, generation, evaluation.
        .target(name: "MatGAN", dependencies: ["Training", "NeuralNet", "Datasets", "Chemistry", "Distributed", "HDF5",
                                              "Random", "Plotting", .product(name: "Logging", package: "swift-log")],
                swiftSettings: numericSettings),
        /// The elpasolite benchmark (Türk et al. 2022): kernel-ridge oracle, labelled tuple space,
        /// cVAE / cWGAN-GP / DQN networks and training, sampling, sweeps and generation metrics.
        .target(name: "ElpasoliteBenchmark", dependencies: ["Training", "NeuralNet", "Datasets", "Chemistry", "Distributed",
                                                           "HDF5", "COpenBLAS", "Random", "Plotting", "BayesianOptimization",
                                                           .product(name: "Logging", package: "swift-log")],
                swiftSettings: numericSettings),
        /// Property prediction: Magpie descriptors, random forest, gradient-boosted trees, ElemNet,
        /// and predicted property distributions of generated sets.
        .target(name: "Property", dependencies: ["Training", "Chemistry", "Datasets", "NeuralNet", "Distributed", "HDF5",
                                                "Random", "COpenBLAS", "Plotting"],
                swiftSettings: numericSettings),
        /// Bayesian optimisation: Gaussian-process regression (Matern 5/2) and UCB / EI acquisition.
        .target(name: "BayesianOptimization", dependencies: ["COpenBLAS", "Random"], swiftSettings: numericSettings),
        /// Active generative design (Hu group): Bayesian optimisation in an autoencoder's latent space
        /// and screening of generated candidates with property models.
        .target(name: "ActiveDesign", dependencies: ["MatGAN", "Property", "BayesianOptimization", "Training", "NeuralNet",
                                                    "Datasets", "Chemistry", "Distributed", "HDF5", "Random", "Plotting",
                                                    .product(name: "Logging", package: "swift-log")],
                swiftSettings: numericSettings),
        .executableTarget(
            name: "Launch",
            dependencies: [
                "BLAS", "Distributed", "HDF5", "NeuralNet", "Random", "Chemistry", "Datasets", "Training", "MatGAN",
                "ElpasoliteBenchmark", "Property", "BayesianOptimization", "ActiveDesign", "Plotting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        /// Runs the built executable (alone or under mpirun) for end-to-end tests; finite-difference
        /// and double-precision references for numerical tests.
        .target(name: "TestSupport", dependencies: ["NeuralNet", "Random"], path: "Tests/Support"),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "HDF5", "TestSupport", "Launch"]),
        .testTarget(name: "BLASTests", dependencies: ["BLAS", "TestSupport", "Launch"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "TestSupport"]),
        .testTarget(name: "RandomTests", dependencies: ["Random"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "Random", "TestSupport"]),
        .testTarget(name: "ChemistryTests", dependencies: ["Chemistry", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Chemistry", "TestSupport", "Launch"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "MatGAN", "NeuralNet", "Random", "TestSupport"]),
        .testTarget(name: "MatGANTests", dependencies: ["MatGAN", "Training", "Datasets", "Chemistry", "NeuralNet", "HDF5",
                                                       "Random", "TestSupport", "Launch"]),
        .testTarget(name: "ElpasoliteBenchmarkTests", dependencies: ["ElpasoliteBenchmark", "Training", "Datasets", "Chemistry",
                                                                    "NeuralNet", "Distributed", "HDF5", "Random", "TestSupport",
                                                                    "Launch"]),
        .testTarget(name: "PropertyTests", dependencies: ["Property", "Chemistry", "Datasets", "Distributed", "HDF5", "Random",
                                                         "TestSupport", "Launch"]),
        .testTarget(name: "ActiveDesignTests", dependencies: ["ActiveDesign", "MatGAN", "Property", "Chemistry", "Datasets",
                                                             "TestSupport", "Launch"]),
        .testTarget(name: "PlottingTests", dependencies: ["Plotting"]),
        .testTarget(name: "BayesianOptimizationTests", dependencies: ["BayesianOptimization", "Random"]),
    ]
)
