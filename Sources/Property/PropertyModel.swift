import Chemistry
import HDF5

/// A trained property model with what it needs to be used and traced: the regressor, the
/// target it predicts, the features it reads (by name), and provenance (training file and its
/// SHA-256, hyper-parameters, hold-out metrics). `property train` writes one, `property predict`
/// reads it.
///
/// File layout (HDF5):
/// ```
/// /            attributes: format, kind (rf | gbdt | elemnet), target, feature_set (magpie |
///              element_fractions), feature_names, feature_count, plus provenance attributes
///              (training_file, training_sha256, feature_table_sha256, hyper-parameters,
///              holdout_r2, holdout_mae, holdout_rmse, ...)
/// /trees/      rf, gbdt: feature Int32 [nodes], threshold Float32, left Int32, right Int32,
///              value Float32, tree_offsets Int64 [trees + 1]; attributes initial_value, tree_weight
/// /network/    elemnet: parameters Float32 [P]; attributes input_count, hidden_widths,
///              target_mean, target_scale
/// ```
public struct PropertyModel: Sendable {
    /// The `format` attribute of model files.
    public static let format = "matgan-dist property model 1"

    /// The kind of regressor, as named on the command line.
    public enum Kind: String, Sendable, CaseIterable {
        case randomForest = "rf"
        case gradientBoosting = "gbdt"
        case elemNet = "elemnet"

        /// The features this kind of model reads.
        public var featureSet: FeatureSet { self == .elemNet ? .elementFractions : .magpie }
    }

    /// Which featurisation turns compositions into the model's input.
    public enum FeatureSet: String, Sendable {
        /// ``MagpieFeaturizer``.
        case magpie
        /// ``ElementFractions``.
        case elementFractions = "element_fractions"
    }

    /// The fitted regressor.
    public enum Regressor: Sendable {
        case trees(TreeEnsemble)
        case network(ElemNetWeights)
    }

    public let kind: Kind
    /// The predicted quantity, e.g. `band_gap_ev`.
    public let target: String
    /// The input features' names, in column order.
    public let featureNames: [String]
    public let regressor: Regressor
    /// Provenance and settings, stored as root attributes.
    public let provenance: [String: AttributeValue]

    /// A model; the regressor must read `featureNames.count` columns.
    public init(kind: Kind, target: String, featureNames: [String], regressor: Regressor,
                provenance: [String: AttributeValue] = [:]) throws {
        let columns: Int
        switch regressor {
        case .trees(let ensemble): columns = ensemble.featureCount
        case .network(let weights): columns = weights.inputCount
        }
        guard columns == featureNames.count else {
            throw PropertyError("the regressor reads \(columns) features but \(featureNames.count) feature names were given")
        }
        self.kind = kind
        self.target = target
        self.featureNames = featureNames
        self.regressor = regressor
        self.provenance = provenance
    }

    /// The features the model reads for `compositions`: Magpie features from `magpie` (whose
    /// feature names must be the model's) or element fractions.
    public func features(of compositions: [Composition], magpie: MagpieFeaturizer?) throws -> FeatureMatrix {
        switch kind.featureSet {
        case .elementFractions:
            return try ElementFractions.features(of: compositions)
        case .magpie:
            guard let magpie else { throw PropertyError("a \(kind.rawValue) model reads Magpie features: pass a MagpieFeaturizer") }
            guard magpie.featureNames == featureNames else {
                throw PropertyError("the model was trained on \(featureNames.count) Magpie features but "
                                    + "\(MagpieFeaturizer.fileName) gives \(magpie.featureCount) (or other names); "
                                    + "use the property table the model was trained with")
            }
            return try magpie.features(of: compositions)
        }
    }

    /// Predictions for the rows of `features`, which must have the model's column count.
    public func predict(_ features: FeatureMatrix) throws -> [Float] {
        guard features.columnCount == featureNames.count else {
            throw PropertyError("the \(kind.rawValue) model for \(target) expects \(featureNames.count) features, got \(features.columnCount)")
        }
        switch regressor {
        case .trees(let ensemble): return ensemble.predict(features)
        case .network(let weights): return try weights.predict(features)
        }
    }

    /// Featurises and predicts `compositions` (see ``features(of:magpie:)``).
    public func predict(_ compositions: [Composition], magpie: MagpieFeaturizer?) throws -> [Float] {
        try predict(features(of: compositions, magpie: magpie))
    }

    // MARK: - Files

    /// Writes the model to `path` atomically: on any error nothing is left at `path`.
    public func write(to path: String) throws {
        let file = try File.create(path)
        do {
            try file.setAttribute("format", .string(Self.format))
            try file.setAttribute("kind", .string(kind.rawValue))
            try file.setAttribute("target", .string(target))
            try file.setAttribute("feature_set", .string(kind.featureSet.rawValue))
            try file.setAttribute("feature_names", .stringArray(featureNames))
            try file.setAttribute("feature_count", .int64(Int64(featureNames.count)))
            for (name, value) in provenance.sorted(by: { $0.key < $1.key }) { try file.setAttribute(name, value) }
            switch regressor {
            case .trees(let ensemble):
                let group = try file.createGroup("trees")
                let storage = DatasetStorage.chunked(rows: max(1, min(ensemble.nodeCount, 1 << 16)), compression: 4)
                try group.write("feature", ensemble.feature, storage: storage)
                try group.write("threshold", ensemble.threshold, storage: storage)
                try group.write("left", ensemble.left, storage: storage)
                try group.write("right", ensemble.right, storage: storage)
                try group.write("value", ensemble.value, storage: storage)
                try group.write("tree_offsets", ensemble.treeOffsets.map(Int64.init))
                try group.setAttribute("initial_value", .double(Double(ensemble.initialValue)))
                try group.setAttribute("tree_weight", .double(Double(ensemble.treeWeight)))
            case .network(let weights):
                let group = try file.createGroup("network")
                try group.write("parameters", weights.parameters)
                try group.setAttribute("input_count", .int64(Int64(weights.inputCount)))
                try group.setAttribute("hidden_widths", .int64Array(weights.hiddenWidths.map(Int64.init)))
                try group.setAttribute("target_mean", .double(Double(weights.targetMean)))
                try group.setAttribute("target_scale", .double(Double(weights.targetScale)))
            }
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }

    /// Reads a model file; a file that is not a property model, or an inconsistent one, is an
    /// error naming the file and what was expected.
    public init(contentsOf path: String) throws {
        let file = try File.open(path)
        func problem(_ message: String) -> PropertyError {
            PropertyError("\(path): \(message)")
        }
        let names = try file.attributeNames()
        guard names.contains("format"), try file.attribute("format").stringValue == Self.format else {
            throw problem("not a matgan-dist property model (expected the attribute format = '\(Self.format)'; "
                          + "write one with `matgan-dist property train`)")
        }
        func string(_ name: String) throws -> String {
            guard names.contains(name), let value = try file.attribute(name).stringValue else {
                throw problem("missing the string attribute '\(name)'")
            }
            return value
        }
        let kindName = try string("kind")
        guard let kind = Kind(rawValue: kindName) else {
            throw problem("unknown model kind '\(kindName)' (expected \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard names.contains("feature_names"), let featureNames = try file.attribute("feature_names").stringArrayValue else {
            throw problem("missing the attribute 'feature_names'")
        }
        let regressor: Regressor
        do {
            switch kind {
            case .randomForest, .gradientBoosting:
                let group = try file.openGroup("trees")
                guard let initial = try group.attribute("initial_value").doubleValue,
                      let weight = try group.attribute("tree_weight").doubleValue else {
                    throw problem("/trees needs the real attributes initial_value and tree_weight")
                }
                regressor = .trees(try TreeEnsemble(
                    featureCount: featureNames.count, initialValue: Float(initial), treeWeight: Float(weight),
                    feature: try group.read("feature", as: Int32.self), threshold: try group.read("threshold", as: Float.self),
                    left: try group.read("left", as: Int32.self), right: try group.read("right", as: Int32.self),
                    value: try group.read("value", as: Float.self),
                    treeOffsets: try group.read("tree_offsets", as: Int64.self).map { Int($0) }))
            case .elemNet:
                let group = try file.openGroup("network")
                guard let inputs = try group.attribute("input_count").intValue,
                      let widths = try group.attribute("hidden_widths").int64ArrayValue,
                      let mean = try group.attribute("target_mean").doubleValue,
                      let scale = try group.attribute("target_scale").doubleValue else {
                    throw problem("/network needs the attributes input_count, hidden_widths, target_mean, target_scale")
                }
                regressor = .network(try ElemNetWeights(
                    inputCount: inputs, hiddenWidths: widths.map { Int($0) }, parameters: try group.read("parameters", as: Float.self),
                    targetMean: Float(mean), targetScale: Float(scale)))
            }
        } catch let error as PropertyError {
            throw error.message.hasPrefix(path) ? error : problem(error.message)
        }
        var provenance: [String: AttributeValue] = [:]
        let fixed: Set = ["format", "kind", "target", "feature_set", "feature_names", "feature_count"]
        for name in names where !fixed.contains(name) { provenance[name] = try file.attribute(name) }
        do {
            try self.init(kind: kind, target: try string("target"), featureNames: featureNames, regressor: regressor,
                          provenance: provenance)
        } catch let error as PropertyError {
            throw error.message.hasPrefix(path) ? error : problem(error.message)
        }
    }
}
