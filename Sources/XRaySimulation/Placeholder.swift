enum XRaySimulationPlaceholder {}
