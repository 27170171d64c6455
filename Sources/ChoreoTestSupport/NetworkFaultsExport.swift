// The TCP proxy moved to the NetworkFaults product (`choreo chaos` uses it); tests keep
// finding it through ChoreoTestSupport.
@_exported import NetworkFaults
