import BLAS
import Foundation
import HDF5
import NeuralNet

/// A training run's complete state in one HDF5 file, written atomically by rank 0:
///
/// ```
/// /                       attributes: format, model, step, epoch, seed, config (JSON),
///                         data_file, data_sha256, world_size, elapsed_seconds, created,
///                         blas_kernels, blas_choice, blas_sgemm_gflops (of the writing rank)
/// /networks/<name>/parameters   Float [P]   all parameters, one flat buffer
/// /networks/<name>/state        Float [S]   batch-norm running statistics
///                  attributes: parameter_slices, state_slices ("name offset d0xd1x..")
/// /optimizers/<name>/<buffer>   Float [P]   e.g. exp_avg, exp_avg_sq; attribute step_count
/// /counters                     Int64 attributes, e.g. random-stream positions
/// ```
///
/// The buffers carry Fletcher-32 checksums, so a restore of a damaged file throws an
/// `HDF5Error` of kind `.corruptData` naming the buffer (checkpoints written before the
/// checksums were added restore without the check).
public struct Checkpoint {
    /// The format tag stored in the file; a reader refuses other formats.
    public static let format = "matgan-dist checkpoint 1"

    /// Storage of the flat buffers: chunked so that each 1 MiB chunk carries a Fletcher-32
    /// checksum that a restore verifies; uncompressed, as trained floats barely compress.
    private static let bufferStorage = DatasetStorage.chunked(rows: 1 << 18, compression: nil)

    /// Identity of the run, checked on resume.
    public struct Header: Sendable, Equatable {
        public var model: String
        public var step: Int
        public var epoch: Int
        public var seed: UInt64
        public var configuration: String
        public var dataFile: String
        public var dataSHA256: String
        public var worldSize: Int
        /// Wall-clock seconds the run has trained up to this checkpoint, over all its jobs (0 in
        /// checkpoints written before it was recorded).
        public var elapsedSeconds: Double

        public init(model: String, step: Int, epoch: Int, seed: UInt64, configuration: String,
                    dataFile: String, dataSHA256: String, worldSize: Int, elapsedSeconds: Double = 0) {
            self.model = model
            self.step = step
            self.epoch = epoch
            self.seed = seed
            self.configuration = configuration
            self.dataFile = dataFile
            self.dataSHA256 = dataSHA256
            self.worldSize = worldSize
            self.elapsedSeconds = elapsedSeconds
        }
    }

    public var header: Header
    public var networks: [(name: String, store: ParameterStore)]
    public var optimizers: [(name: String, optimizer: any Optimizer)]
    public var counters: [String: Int64]

    public init(header: Header, networks: [(name: String, store: ParameterStore)],
                optimizers: [(name: String, optimizer: any Optimizer)], counters: [String: Int64] = [:]) {
        self.header = header
        self.networks = networks
        self.optimizers = optimizers
        self.counters = counters
    }

    /// Writes the checkpoint to `path` through a temporary file renamed into place.
    public func write(to path: String) throws {
        let file = try File.create(path)
        do {
            try file.setAttribute("format", .string(Self.format))
            try file.setAttribute("model", .string(header.model))
            try file.setAttribute("step", .int64(Int64(header.step)))
            try file.setAttribute("epoch", .int64(Int64(header.epoch)))
            try file.setAttribute("seed", .string(String(header.seed)))
            try file.setAttribute("config", .string(header.configuration))
            try file.setAttribute("data_file", .string(header.dataFile))
            try file.setAttribute("data_sha256", .string(header.dataSHA256))
            try file.setAttribute("world_size", .int64(Int64(header.worldSize)))
            try file.setAttribute("elapsed_seconds", .double(header.elapsedSeconds))
            try file.setAttribute("created", .string(ISO8601DateFormatter().string(from: Date())))
            for (name, value) in KernelChoice.provenance.attributes { try file.setAttribute(name, value) }

            let networkGroup = try file.createGroup("networks")
            for (name, store) in networks {
                let group = try networkGroup.createGroup(name)
                try group.write("parameters", buffer: UnsafeBufferPointer(store.parameters), shape: [store.parameterCount],
                                storage: Self.bufferStorage)
                try group.write("state", buffer: UnsafeBufferPointer(store.buffers), shape: [store.stateCount],
                                storage: Self.bufferStorage)
                try group.setAttribute("parameter_slices", .stringArray(store.parameterSlices.map(Self.describe)))
                try group.setAttribute("state_slices", .stringArray(store.stateSlices.map(Self.describe)))
            }
            let optimizerGroup = try file.createGroup("optimizers")
            for (name, optimizer) in optimizers {
                let group = try optimizerGroup.createGroup(name)
                try group.setAttribute("step_count", .int64(Int64(optimizer.stepCount)))
                for buffer in optimizer.stateBuffers {
                    try group.write(buffer.name, buffer: UnsafeBufferPointer(buffer.values), shape: [buffer.values.count],
                                    storage: Self.bufferStorage)
                }
            }
            let counterGroup = try file.createGroup("counters")
            for (name, value) in counters.sorted(by: { $0.key < $1.key }) {
                try counterGroup.setAttribute(name, .int64(value))
            }
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }

    /// Reads the header of the checkpoint at `path`.
    public static func readHeader(_ path: String) throws -> Header {
        let file = try File.open(path)
        defer { try? file.commit() }
        return try readHeader(file)
    }

    /// Whether the checkpoint at `path` holds a network called `name`.
    public static func containsNetwork(_ name: String, at path: String) throws -> Bool {
        let file = try File.open(path)
        defer { try? file.commit() }
        return file.contains("networks/\(name)")
    }

    /// Loads the checkpoint at `path` into the live `networks` and `optimizers` (which must
    /// have the saved layouts) and returns its header and counters.
    ///
    /// Every layout is checked before anything is overwritten, so a mismatching file leaves
    /// the models untouched.
    public static func restore(
        from path: String, networks: [(name: String, store: ParameterStore)],
        optimizers: [(name: String, optimizer: any Optimizer)]
    ) throws -> (header: Header, counters: [String: Int64]) {
        let file = try File.open(path)
        defer { try? file.commit() }
        let header = try readHeader(file)
        var parameterValues: [[Float]] = []
        var stateValues: [[Float]] = []
        for (name, store) in networks {
            guard file.contains("networks/\(name)") else {
                throw TrainingError.checkpoint(path, "has no network '\(name)' (model \(header.model))")
            }
            let group = try file.openGroup("networks/\(name)")
            let savedSlices = try group.attribute("parameter_slices").stringArrayValue ?? []
            let liveSlices = store.parameterSlices.map(describe)
            guard savedSlices == liveSlices else {
                let difference = zip(savedSlices, liveSlices).first { $0 != $1 }
                    .map { "saved '\($0.0)' vs expected '\($0.1)'" } ?? "\(savedSlices.count) vs \(liveSlices.count) tensors"
                throw TrainingError.checkpoint(path, "network '\(name)' has a different layout: \(difference)")
            }
            let parameters = try group.read("parameters", as: Float.self)
            let state = try group.read("state", as: Float.self)
            guard parameters.count == store.parameterCount, state.count == store.stateCount else {
                throw TrainingError.checkpoint(path, "network '\(name)' holds \(parameters.count) parameters "
                                      + "and \(state.count) state values, expected \(store.parameterCount) and \(store.stateCount)")
            }
            parameterValues.append(parameters)
            stateValues.append(state)
        }
        var optimizerValues: [(Int, [[Float]])] = []
        for (name, optimizer) in optimizers {
            guard file.contains("optimizers/\(name)") else {
                throw TrainingError.checkpoint(path, "has no optimizer '\(name)'")
            }
            let group = try file.openGroup("optimizers/\(name)")
            let stepCount = try group.attribute("step_count").intValue ?? 0
            var buffers: [[Float]] = []
            for buffer in optimizer.stateBuffers {
                guard group.contains(buffer.name) else {
                    throw TrainingError.checkpoint(path, "optimizer '\(name)' has no state '\(buffer.name)'")
                }
                let values = try group.read(buffer.name, as: Float.self)
                guard values.count == buffer.values.count else {
                    throw TrainingError.checkpoint(path, "optimizer '\(name)' state '\(buffer.name)' has "
                                          + "\(values.count) values, expected \(buffer.values.count)")
                }
                buffers.append(values)
            }
            optimizerValues.append((stepCount, buffers))
        }
        var counters: [String: Int64] = [:]
        if file.contains("counters") {
            let group = try file.openGroup("counters")
            for name in try group.attributeNames() {
                counters[name] = try group.attribute(name).int64Value
            }
        }

        for (index, (_, store)) in networks.enumerated() {
            _ = store.parameters.update(fromContentsOf: parameterValues[index])
            _ = store.buffers.update(fromContentsOf: stateValues[index])
        }
        for (index, (_, optimizer)) in optimizers.enumerated() {
            optimizer.stepCount = optimizerValues[index].0
            for (buffer, values) in zip(optimizer.stateBuffers, optimizerValues[index].1) {
                _ = buffer.values.update(fromContentsOf: values)
            }
        }
        return (header, counters)
    }

    private static func readHeader(_ file: File) throws -> Header {
        let format = try? file.attribute("format").stringValue
        guard format == Self.format else {
            throw TrainingError.checkpoint(file.path, "is not a matgan-dist checkpoint (format "
                                  + "\(format.map { "'\($0)'" } ?? "attribute missing"), expected '\(Self.format)')")
        }
        func string(_ name: String) throws -> String {
            guard let value = try file.attribute(name).stringValue else {
                throw TrainingError.checkpoint(file.path, "attribute '\(name)' is not a string")
            }
            return value
        }
        func integer(_ name: String) throws -> Int {
            guard let value = try file.attribute(name).intValue else {
                throw TrainingError.checkpoint(file.path, "attribute '\(name)' is not an integer")
            }
            return value
        }
        guard let seed = UInt64(try string("seed")) else {
            throw TrainingError.checkpoint(file.path, "attribute 'seed' is not an unsigned integer")
        }
        return Header(model: try string("model"), step: try integer("step"), epoch: try integer("epoch"), seed: seed,
                      configuration: try string("config"), dataFile: try string("data_file"),
                      dataSHA256: try string("data_sha256"), worldSize: try integer("world_size"),
                      elapsedSeconds: (try? file.attribute("elapsed_seconds"))?.doubleValue ?? 0)
    }

    private static func describe(_ slice: ParameterSlice) -> String {
        "\(slice.name) \(slice.offset) \(slice.shape.map(String.init).joined(separator: "x"))"
    }
}

extension KernelChoice.Provenance {
    /// The attributes that checkpoints and sample files record of the BLAS that made them.
    public var attributes: [String: AttributeValue] {
        ["blas_kernels": .string(kernels), "blas_choice": .string(choice), "blas_sgemm_gflops": .double(sgemmGFLOPS)]
    }
}
