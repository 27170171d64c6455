import Contracts
import Foundation
import Testing

@Suite("Random event ids")
struct RandomUUIDTests {
    @Test("ids are version 4, variant 1, and distinct across several pool refills")
    func versionVariantAndDistinct() {
        var seen = Set<UUID>()
        for _ in 0..<5_000 {  // about 20 refills of the 256-id pool
            let id = RandomUUID.make()
            #expect(id.uuid.6 >> 4 == 4)
            #expect(id.uuid.8 >> 6 == 0b10)
            #expect(UUID(uuidString: id.uuidString) == id)
            seen.insert(id)
        }
        #expect(seen.count == 5_000)
    }

    @Test("ids drawn from many tasks at once are distinct")
    func concurrentDraws() async {
        let ids = await withTaskGroup(of: [UUID].self) { group in
            for _ in 0..<8 { group.addTask { (0..<1_000).map { _ in RandomUUID.make() } } }
            return await group.reduce(into: [UUID]()) { $0 += $1 }
        }
        #expect(Set(ids).count == 8_000)
    }

    @Test("every bit that is not fixed varies")
    func bitsVary() {
        var ones = [Int](repeating: 0, count: 128)
        let samples = 2_000
        for _ in 0..<samples {
            withUnsafeBytes(of: RandomUUID.make().uuid) { bytes in
                for (index, byte) in bytes.enumerated() {
                    for bit in 0..<8 where byte & (1 << bit) != 0 { ones[index * 8 + bit] += 1 }
                }
            }
        }
        let fixed: Set<Int> = [52, 53, 54, 55, 70, 71]  // version nibble of byte 6, variant bits of byte 8
        for bit in 0..<128 where !fixed.contains(bit) {
            // A fair bit is set in 50% ± 6% of 2,000 draws (over 5 standard deviations).
            #expect((samples * 44 / 100)...(samples * 56 / 100) ~= ones[bit], "bit \(bit)")
        }
    }
}
