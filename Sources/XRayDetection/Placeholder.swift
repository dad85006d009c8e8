import XRayImaging
import XRayEngine
enum XRayDetectionPlaceholder {}
