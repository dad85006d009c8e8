import XCTest
final class XRayDetectionTestsPlaceholder: XCTestCase { func testBuilds() {} }
