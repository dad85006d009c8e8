import XCTest
final class XRayEngineTestsPlaceholder: XCTestCase { func testBuilds() {} }
