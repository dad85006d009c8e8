import XCTest
final class XRayImagingTestsPlaceholder: XCTestCase { func testBuilds() {} }
