#if canImport(Glibc)
    import Glibc
#endif

#if CHOREO_FUZZ
    /// The harness libFuzzer drives, from `CHOREO_FUZZ_TARGET` (json, envelope or schema).
    private let selectedHarness: FuzzHarness = {
        guard let name = getenv("CHOREO_FUZZ_TARGET").map({ String(cString: $0) }),
            let harness = FuzzHarness(rawValue: name)
        else { fatalError("set CHOREO_FUZZ_TARGET to json, envelope or schema") }
        return harness
    }()

    /// libFuzzer's entry point (built by scripts/fuzz.sh with `-sanitize=fuzzer,address`).
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
        selectedHarness.run(UnsafeRawBufferPointer(start: start, count: count))
        return 0
    }
#else
    /// Without libFuzzer: `ChoreoFuzz <json|envelope|schema> <file>...` replays inputs
    /// (e.g. a crash file) through a harness.
    @main
    enum ChoreoFuzzMain {
        static func main() {
            let arguments = CommandLine.arguments.dropFirst()
            guard let name = arguments.first, let harness = FuzzHarness(rawValue: name) else {
                print("usage: ChoreoFuzz <json|envelope|schema> <file>...  (fuzzing: scripts/fuzz.sh)")
                exit(64)
            }
            for path in arguments.dropFirst() {
                guard let file = fopen(path, "rb") else {
                    print("cannot open \(path)")
                    exit(66)
                }
                var bytes: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = fread(&buffer, 1, buffer.count, file)
                    if count <= 0 { break }
                    bytes.append(contentsOf: buffer[0..<count])
                }
                fclose(file)
                bytes.withUnsafeBytes { harness.run($0) }
                print("\(path): ok")
            }
        }
    }
#endif
