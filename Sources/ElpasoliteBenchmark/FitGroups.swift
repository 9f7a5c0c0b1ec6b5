import Distributed

/// The fits of a multi-fit sweep (`elpasolite sweep --fits K --fit-groups G`) spread over G
/// groups of contiguous ranks that work side by side: group g trains and sweeps fits g + 1,
/// g + 1 + G, ..., and the groups' metrics meet on rank 0 in fit order.
public struct FitGroups {
    /// The fits this rank's group trains and sweeps, numbered from 1, ascending.
    public let fits: [Int]
    /// The ranks of this rank's group (the whole job when there is one group).
    public let ranks: Communicator
    private let world: Communicator

    /// Splits `world` into `groupCount` equal groups and assigns them fits 1...`fitCount`.
    /// Collective over `world`.
    ///
    /// - Precondition: `groupCount` is in 1...`fitCount` and divides the rank count.
    public init(splitting world: Communicator, fitCount: Int, groupCount: Int) throws {
        precondition((1...max(1, fitCount)).contains(groupCount) && world.size % groupCount == 0,
                     "FitGroups: \(groupCount) groups for \(fitCount) fits on \(world.size) ranks")
        let group = world.rank * groupCount / world.size
        ranks = groupCount == 1 ? world : try world.split(color: group, key: world.rank)
        fits = Array(stride(from: group + 1, through: fitCount, by: groupCount))
        self.world = world
    }

    /// Gathers every group's per-fit metrics to rank 0, sorted by fit; `nil` on the other ranks.
    /// Each group's first rank passes the metrics of the fits it swept, the other ranks none.
    /// Collective over the whole job.
    public func gatherMetrics(_ metrics: [(fit: Int, metrics: ClassMetrics)]) throws -> [(fit: Int, metrics: ClassMetrics)]? {
        // One gatherv of doubles: per fit its number, then the metrics' values.
        let width = 1 + ClassMetrics.valueCount
        let packed = metrics.flatMap { [Double($0.fit)] + $0.metrics.values }
        guard let gathered = try world.gatherv(packed, root: 0)?.values else { return nil }
        return stride(from: 0, to: gathered.count, by: width)
            .map { (fit: Int(gathered[$0]), metrics: ClassMetrics(values: gathered[$0 + 1 ..< $0 + width])) }
            .sorted { $0.fit < $1.fit }
    }
}
