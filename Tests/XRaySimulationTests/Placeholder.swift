import XCTest
final class XRaySimulationTestsPlaceholder: XCTestCase { func testBuilds() {} }
