/// One fault at its time in a chaos run.
struct ChaosFault: Codable, Sendable, Equatable {
    enum Action: Codable, Sendable, Equatable {
        /// kill -9 of a service process (its consumers and relay), restarted after the delay.
        case kill(service: String, restartAfter: Double)
        /// Every broker down for the time.
        case allBrokersDown(seconds: Double)
        /// One broker down for the time.
        case brokerDown(broker: Int32, seconds: Double)
        /// The next `count` requests of the API fail with a retriable error.
        case requestErrors(api: String, count: Int)
        /// One broker's responses delayed for the time.
        case latency(broker: Int32, milliseconds: Int, seconds: Double)
        /// PostgreSQL restarted in fast mode.
        case pgRestart
        /// A service's database connections black-holed for the time.
        case partition(service: String, seconds: Double)
        /// A poison message injected.
        case poison(ChaosPoison.Kind)
        /// A command (`command`) or an event published twice with the same `ce_id`.
        case duplicate(command: Bool)
    }

    /// Seconds from the start of the faults.
    var at: Double
    var kind: ChaosFaultKind
    var action: Action
}

/// The faults of a run, drawn from the seed: the same seed, duration, kinds, services and
/// brokers give the same schedule. Each kind draws from its own generator, so switching one
/// kind off leaves the others' times unchanged. Pure.
enum ChaosSchedule {
    /// The longest gap between kills, in seconds.
    static let maxKillGap = 5.0
    /// The least time between PostgreSQL restarts, in seconds.
    static let minRestartGap = 60.0

    static func make(
        seed: UInt64, duration: Double, kinds: [ChaosFaultKind], services: [String], brokers: Int
    ) -> [ChaosFault] {
        var faults: [ChaosFault] = []
        for kind in kinds {
            let salt = UInt64(ChaosFaultKind.allCases.firstIndex(of: kind) ?? 0) &+ 1
            var random = ChaosRandom(seed: seed &* 0x2545_F491_4F6C_DD1D ^ salt)
            faults += make(kind, duration: duration, services: services, brokers: brokers, random: &random)
        }
        return faults.sorted { ($0.at, $0.kind) < ($1.at, $1.kind) }
    }

    private static func make(
        _ kind: ChaosFaultKind, duration: Double, services: [String], brokers: Int, random: inout ChaosRandom
    ) -> [ChaosFault] {
        var faults: [ChaosFault] = []
        func add(_ at: Double, _ action: ChaosFault.Action) {
            faults.append(ChaosFault(at: at, kind: kind, action: action))
        }
        func broker() -> Int32 { Int32(Int.random(in: 1...max(brokers, 1), using: &random)) }
        // The first of each kind comes early enough that a short run sees it.
        let early = max(0.5, min(duration * 0.3, 10))
        switch kind {
        case .kill:
            var time = random.uniform(0.5...min(maxKillGap - 0.5, max(duration, 1)))
            while time < duration {
                let service = services[Int.random(in: 0..<services.count, using: &random)]
                add(time, .kill(service: service, restartAfter: random.uniform(0.5...3)))
                time += random.uniform(1...maxKillGap)
            }
        case .brokerDown:
            var time = random.uniform(1...max(early, 1.5))
            var all = random.next() % 2 == 0
            while time < duration {
                let seconds = all ? random.uniform(2...4) : random.uniform(3...6)
                add(time, all ? .allBrokersDown(seconds: seconds) : .brokerDown(broker: broker(), seconds: seconds))
                all.toggle()
                time += seconds + random.uniform(6...15)
            }
        case .brokerErrors:
            var time = random.uniform(0.5...early)
            while time < duration {
                if random.next() % 2 == 0 {
                    let api = ["produce", "fetch", "offset-commit"][Int.random(in: 0..<3, using: &random)]
                    add(time, .requestErrors(api: api, count: Int.random(in: 1...5, using: &random)))
                } else {
                    let seconds = random.uniform(2...5)
                    add(
                        time,
                        .latency(
                            broker: broker(), milliseconds: Int.random(in: 50...400, using: &random), seconds: seconds))
                }
                time += random.uniform(2...6)
            }
        case .pgRestart:
            var time = random.uniform(min(5, early)...max(early, 5))
            while time < duration {
                add(time, .pgRestart)
                time += minRestartGap + random.uniform(0...30)
            }
        case .partition:
            // Longer than the services' keepalive (10 s idle + probes) and TCP user timeout (10 s).
            var time = random.uniform(1...early)
            while time < duration {
                let seconds = random.uniform(22...30)
                let service = services[Int.random(in: 0..<services.count, using: &random)]
                add(time, .partition(service: service, seconds: seconds))
                time += seconds + random.uniform(5...20)
            }
        case .poison:
            // Every kind of poison in every round; a round every two minutes.
            let rounds = max(1, Int(duration / 120))
            for round in 0..<rounds {
                let start = duration * Double(round) / Double(rounds)
                let span = duration / Double(rounds)
                for poison in ChaosPoison.Kind.allCases {
                    add(start + random.uniform(span * 0.05...span * 0.8), .poison(poison))
                }
            }
        case .duplicates:
            var time = random.uniform(0.5...early)
            var command = true
            while time < duration {
                add(time, .duplicate(command: command))
                command.toggle()
                time += random.uniform(3...8)
            }
        }
        return faults
    }
}
