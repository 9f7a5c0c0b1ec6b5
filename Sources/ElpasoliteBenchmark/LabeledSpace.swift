import Chemistry
import HDF5

/// The full elpasolite space labelled by the oracle, indexed by tuple index
/// (``Elpasolite/index``, `0..<1,974,024`).
///
/// The energy classes are the paper's numbers 1...10 (1 = most stable) of
/// `Chemistry.ElpasoliteEnergyClasses`: ten equal widths over the exact DFT energy range
/// (-3.067 ... 5.019 eV/atom), with predictions below or above the range counted in class 1
/// or 10.
public struct LabeledSpace: Sendable {
    /// Where a tuple stands relative to the DFT data set.
    public enum Membership: UInt8, Sendable {
        /// Not in the DFT set (in neither site order).
        case unlabeled = 0
        /// In the oracle's training rows, as listed or with A and B swapped.
        case oracleTraining = 1
        /// In the oracle's hold-out rows, as listed or with A and B swapped.
        case oracleTest = 2
    }

    /// Predicted formation energy per tuple, eV/atom.
    public let energies: [Float]
    /// Class number 1...10 per tuple.
    public let classes: [UInt8]
    /// ``Membership`` raw value per tuple.
    public let membership: [UInt8]
    /// The class edges the classes were assigned with.
    public let energyClasses: ElpasoliteEnergyClasses
    /// The tuples of each class, `classBitmaps[k - 1]` for class k.
    public let classBitmaps: [TupleBitmap]
    /// The DFT set with all A/B swaps (21,112 tuples): the generative models' training set,
    /// whose hits are rediscoveries.
    public let dataSetBitmap: TupleBitmap

    /// The 11 class edges of `classes` in eV/atom, lowest first.
    public static func edges(of classes: ElpasoliteEnergyClasses) -> [Double] {
        (0...ElpasoliteEnergyClasses.count).map { classes.lowerBound + Double($0) * classes.width }
    }

    public init(energies: [Float], classes: [UInt8], membership: [UInt8], energyClasses: ElpasoliteEnergyClasses) throws {
        for (name, count) in [("energy", energies.count), ("class", classes.count), ("membership", membership.count)]
        where count != Elpasolite.tupleCount {
            throw ElpasoliteError("labelled space: \(name) has \(count) entries, expected \(Elpasolite.tupleCount)")
        }
        if let bad = classes.firstIndex(where: { $0 < 1 || Int($0) > ElpasoliteEnergyClasses.count }) {
            throw ElpasoliteError("labelled space: class \(classes[bad]) of tuple \(bad) outside 1...\(ElpasoliteEnergyClasses.count)")
        }
        self.energies = energies
        self.classes = classes
        self.membership = membership
        self.energyClasses = energyClasses
        var bitmaps = [TupleBitmap](repeating: TupleBitmap(), count: ElpasoliteEnergyClasses.count)
        var dataSet = TupleBitmap()
        for index in 0..<Elpasolite.tupleCount {
            bitmaps[Int(classes[index]) - 1].insert(index)
            if membership[index] != Membership.unlabeled.rawValue { dataSet.insert(index) }
        }
        classBitmaps = bitmaps
        dataSetBitmap = dataSet
    }

    /// Reads the `energy`, `class` and `membership` datasets and the `class_edges` attribute
    /// of an oracle file.
    public init(contentsOf path: String) throws {
        let file = try File.open(path)
        guard let edges = try file.attribute("class_edges").doubleArrayValue,
              edges.count == ElpasoliteEnergyClasses.count + 1, edges[0] < edges[edges.count - 1] else {
            throw ElpasoliteError("\(path): attribute 'class_edges' must hold \(ElpasoliteEnergyClasses.count + 1) increasing numbers")
        }
        try self.init(energies: try file.read(OracleFile.energyDataset, as: Float.self),
                      classes: try file.read(OracleFile.classDataset, as: UInt8.self),
                      membership: try file.read(OracleFile.membershipDataset, as: UInt8.self),
                      energyClasses: ElpasoliteEnergyClasses(lowerBound: edges[0], upperBound: edges[edges.count - 1]))
    }

    /// The number of tuples in each class, `[class 1, ..., class 10]`.
    public var classSizes: [Int] { classBitmaps.map(\.count) }
}

/// The oracle file: the labelled space plus the model that labelled it. Layout (HDF5):
///
/// - `/energy` float32 [1974024]: predicted formation energy, eV/atom, by tuple index (the
///   oracle's prediction for every tuple, DFT rows included)
/// - `/class` uint8 [1974024]: class number 1...10 (1 = most stable)
/// - `/membership` uint8 [1974024]: 0 not in the DFT set, 1 oracle training row, 2 oracle
///   hold-out row (the tuple as listed or with A and B swapped)
/// - `/oracle/training_sites` uint8 [n, 4]: vocabulary positions on A, B, C, D per training row
/// - `/oracle/training_energy` float64 [n]: their DFT energies; `/oracle/coefficients` float64 [n]
/// - `/oracle/test_sites` uint8 [m, 4], `/oracle/test_energy` float64 [m],
///   `/oracle/test_prediction` float64 [m]: the hold-out rows
/// - `/oracle/cv_mae` float64 [widths, regularisations]: cross-validated MAE over the grid
/// - root attributes: `kernel`, `representation`, `kernel_width`, `regularisation`,
///   `target_offset`, `cv_mae`, `test_mae`, `training_rows`, `test_rows`, `folds`,
///   `split_seed`, `cv_widths`, `cv_regularisations`, `class_edges`, `class_numbering`,
///   `class_sizes`, `out_of_range_classes`, `membership_codes`, `vocabulary` (the 39 symbols by
///   vocabulary position), `tuple_index`, `source_file`, `source_sha256`,
///   `source_energy_range`, `ranks`
public enum OracleFile {
    public static let energyDataset = "energy"
    public static let classDataset = "class"
    public static let membershipDataset = "membership"

    /// Everything written besides the labelled space.
    public struct Contents {
        public let space: LabeledSpace
        public let model: KernelRidgeModel
        public let trainingEnergies: [Double]
        public let testCompounds: [Elpasolite]
        public let testEnergies: [Double]
        public let testPredictions: [Double]
        public let crossValidation: CrossValidationResult
        public let foldCount: Int
        public let splitSeed: UInt64
        public let dataSet: ElpasoliteDataSet
        public let ranks: Int

        public init(space: LabeledSpace, model: KernelRidgeModel, trainingEnergies: [Double], testCompounds: [Elpasolite],
                    testEnergies: [Double], testPredictions: [Double], crossValidation: CrossValidationResult,
                    foldCount: Int, splitSeed: UInt64, dataSet: ElpasoliteDataSet, ranks: Int) {
            self.space = space
            self.model = model
            self.trainingEnergies = trainingEnergies
            self.testCompounds = testCompounds
            self.testEnergies = testEnergies
            self.testPredictions = testPredictions
            self.crossValidation = crossValidation
            self.foldCount = foldCount
            self.splitSeed = splitSeed
            self.dataSet = dataSet
            self.ranks = ranks
        }

        /// Mean absolute error on the hold-out rows, eV/atom.
        public var testMeanAbsoluteError: Double {
            zip(testPredictions, testEnergies).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(testEnergies.count)
        }
    }

    /// Writes `contents` to `path` atomically (the file appears only when complete).
    public static func write(_ contents: Contents, to path: String) throws {
        let file = try File.create(path)
        let space = contents.space
        try file.write(energyDataset, space.energies)
        try file.write(classDataset, space.classes)
        try file.write(membershipDataset, space.membership)

        let oracle = try file.createGroup("oracle")
        let model = contents.model
        try oracle.write("training_sites", sites(model.compounds), shape: [model.compounds.count, Elpasolite.siteCount])
        try oracle.write("training_energy", contents.trainingEnergies)
        try oracle.write("coefficients", model.coefficients)
        try oracle.write("test_sites", sites(contents.testCompounds), shape: [contents.testCompounds.count, Elpasolite.siteCount])
        try oracle.write("test_energy", contents.testEnergies)
        try oracle.write("test_prediction", contents.testPredictions)
        let grid = contents.crossValidation.grid
        try oracle.write("cv_mae", contents.crossValidation.meanAbsoluteErrors,
                         shape: [grid.widths.count, grid.regularisations.count])

        let range = contents.dataSet.energyRange
        let attributes: [(String, AttributeValue)] = [
            ("kernel", .string("Laplacian exp(-L1/width), symmetrised over the A/B site swap: "
                + "0.5 * (k(x, y) + k(x, swapAB(y))); targets centred on the training mean")),
            ("representation", .string("(period 1..6, main group 1..8) as raw integers per site A, B, C, D")),
            ("kernel_width", .double(model.kernel.width)),
            ("regularisation", .double(model.regularisation)),
            ("target_offset", .double(model.offset)),
            ("cv_mae", .double(contents.crossValidation.best.meanAbsoluteError)),
            ("test_mae", .double(contents.testMeanAbsoluteError)),
            ("training_rows", .int64(Int64(model.compounds.count))),
            ("test_rows", .int64(Int64(contents.testCompounds.count))),
            ("folds", .int64(Int64(contents.foldCount))),
            ("split_seed", .int64(Int64(bitPattern: contents.splitSeed))),
            ("cv_widths", .doubleArray(grid.widths)),
            ("cv_regularisations", .doubleArray(grid.regularisations)),
            ("class_edges", .doubleArray(LabeledSpace.edges(of: space.energyClasses))),
            ("class_numbering", .string("1 = most stable ... 10; equal widths over the DFT energy range of the source file")),
            ("class_sizes", .int64Array(space.classSizes.map { Int64($0) })),
            ("out_of_range_classes", .string("predictions below the lowest edge are class 1, above the highest class 10")),
            ("membership_codes", .string("0 not in the DFT set, 1 oracle training row, 2 oracle hold-out row "
                + "(as listed or with A and B swapped)")),
            ("vocabulary", .stringArray(Elpasolite.vocabulary.map(\.symbol))),
            ("tuple_index", .string("lexicographic rank of (A, B, C, D) vocabulary positions among tuples of 4 distinct "
                + "elements: 0 .. 1974023")),
            ("source_file", .string(ElpasoliteDataSet.fileName)),
            ("source_sha256", .string(contents.dataSet.sha256)),
            ("source_energy_range", .doubleArray([range.lowerBound, range.upperBound])),
            ("ranks", .int64(Int64(contents.ranks))),
        ]
        for (name, value) in attributes { try file.setAttribute(name, value) }
        try file.commit()
    }

    /// Reads back the kernel ridge model of an oracle file.
    public static func readModel(from path: String) throws -> KernelRidgeModel {
        let file = try File.open(path)
        let oracle = try file.openGroup("oracle")
        let flatSites = try oracle.read("training_sites", as: UInt8.self)
        let coefficients = try oracle.read("coefficients", as: Double.self)
        guard flatSites.count == coefficients.count * Elpasolite.siteCount else {
            throw ElpasoliteError("\(path): /oracle/training_sites holds \(flatSites.count) values for "
                + "\(coefficients.count) coefficients; expected 4 per coefficient")
        }
        let compounds = try stride(from: 0, to: flatSites.count, by: Elpasolite.siteCount).map { start in
            let sites = flatSites[start..<(start + Elpasolite.siteCount)].map { Int($0) }
            guard let compound = Elpasolite(sites: sites) else {
                throw ElpasoliteError("\(path): /oracle/training_sites row \(start / 4) \(sites) is not a valid tuple")
            }
            return compound
        }
        func number(_ name: String) throws -> Double {
            guard let value = try file.attribute(name).doubleValue else {
                throw ElpasoliteError("\(path): attribute '\(name)' is not a real number")
            }
            return value
        }
        let width = try number("kernel_width")
        guard width > 0, width.isFinite else { throw ElpasoliteError("\(path): kernel_width \(width) is not positive") }
        return KernelRidgeModel(kernel: LaplacianKernel(width: width),
                                regularisation: try number("regularisation"), compounds: compounds,
                                coefficients: coefficients, offset: try number("target_offset"))
    }

    private static func sites(_ compounds: [Elpasolite]) -> [UInt8] {
        compounds.flatMap { $0.sites.map { UInt8($0) } }
    }
}
