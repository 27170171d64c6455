/// The version of this build of Choreo.
enum ChoreoVersion {
    static let current = "0.1.0"
}
