import Chemistry
import XCTest

final class JensenShannonTests: XCTestCase {
    func testJensenShannonDistanceByHand() {
        XCTAssertEqual(jensenShannonDistance([1, 2, 3], [2, 4, 6]), 0, accuracy: 1e-12)
        XCTAssertEqual(jensenShannonDistance([1, 0], [0, 1]), 1, accuracy: 1e-12)
        // p = (1/2, 1/2), q = (1, 0): m = (3/4, 1/4);
        // JS = 1/2 [1/2 log2(2/3) + 1/2 log2(2)] + 1/2 [log2(4/3)] = 0.311278…
        XCTAssertEqual(jensenShannonDistance([1, 1], [1, 0]), 0.311_278_124_459_132_8.squareRoot(), accuracy: 1e-12)
    }
}
