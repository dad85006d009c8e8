import XCTest
final class XRayScreenCLITestsPlaceholder: XCTestCase { func testBuilds() {} }
