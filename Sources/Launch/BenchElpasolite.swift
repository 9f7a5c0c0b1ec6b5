import ElpasoliteBenchmark
import NeuralNet
import Random

/// The elpasolite workloads of the engine's performance targets (the benchmark's models, synthetic
/// data of the right shape). References are PyTorch's figures on one thread (see ``Bench``):
/// generation 0.80 M samples/s; cWGAN-GP 100.6 steps/s and cVAE 144.6 steps/s, where a cWGAN-GP
/// step is one generator update with its 5 critic updates and samples/s counts the real samples
/// the critic consumes (5 · batch per step).
enum ElpasoliteBenchmarks {
    static let cases = [
        BenchmarkCase(name: "elpasolite-generate") { seconds in
            [generation(batch: 65_536, drawNoise: true, seconds: seconds),
             generation(batch: 65_536, drawNoise: false, seconds: seconds)]
        },
        BenchmarkCase(name: "elpasolite-gan-train") { seconds in
            [try ganTraining(batch: 100, seconds: seconds)]
        },
        BenchmarkCase(name: "elpasolite-vae-train") { seconds in
            [try vaeTraining(batch: 500, seconds: seconds)]
        },
    ]

    /// Class-conditional generation with ``ElpasoliteGANSampler`` (its default blocks), with the
    /// Philox noise drawn inside the timed loop or supplied precomputed.
    static func generation(batch: Int, drawNoise: Bool, seconds: Double) -> BenchmarkResult {
        let model = ElpasoliteConditionalGAN(maxBatch: 1, seed: 1)
        let sampler = ElpasoliteGANSampler(model: model)
        let samples = FloatBuffer(count: batch * ElpasoliteNetworks.featureCount)
        let noise = FloatBuffer(count: batch * ElpasoliteConditionalGAN.noiseCount)
        var random = RandomStream(seed: 2)
        random.fillNormal(noise.storage)
        let rates = measureRates(seconds: seconds) {
            if drawNoise {
                sampler.generate(requestedClass: 0, count: batch, seed: 3, into: samples.pointer)
            } else {
                sampler.generate(requestedClass: 0, noise: noise.pointer, count: batch, into: samples.pointer)
            }
        }
        return BenchmarkResult(
            workload: drawNoise ? "elpasolite cGAN generation incl. noise" : "elpasolite cGAN generation, given noise",
            batch: batch, rates: rates, samplesPerCall: batch, reference: 800_000)
    }

    /// cWGAN-GP steps (5 critic updates with exact gradient penalty, 1 generator update, Adam).
    static func ganTraining(batch: Int, seconds: Double) throws -> BenchmarkResult {
        let model = ElpasoliteConditionalGAN(maxBatch: batch, seed: 1)
        let trainer = ElpasoliteWGANGPTrainer(model: model, batch: batch, configuration: .defaults(for: .conditionalGAN),
                                              randomness: SampleRandomness(seed: 2))
        let perStep = trainer.wasserstein.criticIterations * batch
        let (real, classes) = syntheticElpasolites(count: perStep)
        let rates = try measureRates(seconds: seconds) {
            try trainer.step(real: real.pointer, classes: classes)
        }
        return BenchmarkResult(
            workload: "elpasolite cWGAN-GP train, step = G update + \(trainer.wasserstein.criticIterations) critic",
            batch: batch, rates: rates, samplesPerCall: perStep, reference: 100.6 * Double(perStep))
    }

    /// cVAE updates (encoder with LayerNorm, reparameterised latent, decoder, Adam).
    static func vaeTraining(batch: Int, seconds: Double) throws -> BenchmarkResult {
        let model = ElpasoliteConditionalVAE(maxBatch: batch, seed: 1)
        let trainer = ElpasoliteVAETrainer(model: model, batch: batch, configuration: .defaults(for: .conditionalVAE),
                                           randomness: SampleRandomness(seed: 2))
        let (features, classes) = syntheticElpasolites(count: batch)
        let rates = try measureRates(seconds: seconds) {
            try trainer.step(features: features.pointer, classes: classes)
        }
        return BenchmarkResult(
            workload: "elpasolite cVAE train", batch: batch, rates: rates, samplesPerCall: batch,
            reference: 144.6 * Double(batch))
    }

    /// `count` vectors of 8 numbers in (−0.9, 0.9) and classes cycling through 0..<10.
    static func syntheticElpasolites(count: Int) -> (features: FloatBuffer, classes: [Int]) {
        let features = FloatBuffer(count: count * ElpasoliteNetworks.featureCount)
        var random = RandomStream(seed: 5)
        random.fillUniform(features.storage, in: -0.9 ... 0.9)
        return (features, (0 ..< count).map { $0 % ElpasoliteNetworks.classCount })
    }
}
