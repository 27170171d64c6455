import ChoreoTestSupport
import Postgres
import Testing

/// LISTEN/NOTIFY between two sessions.
@Suite("LISTEN/NOTIFY")
struct ListenNotifyTests {
    @Test func aNotifyFromAnotherConnectionIsDelivered() async throws {
        let configuration = try testConfiguration()
        try await withConnection(configuration) { listener in
            try await withConnection(configuration) { notifier in
                let channel = uniqueName("orders")
                let notifications = try await listener.listen(channel)
                try await notifier.notify(channel, payload: "hello 'world' ü")
                let received = try await withTimeout(.seconds(10), "the notification") {
                    var iterator = notifications.makeAsyncIterator()
                    return try await iterator.next()
                }
                let notification = try #require(received)
                #expect(notification.channel == channel)
                #expect(notification.payload == "hello 'world' ü")
                #expect(notification.pid == notifier.backendPID)
            }
        }
    }

    @Test func aNotifyInARolledBackTransactionIsNotDelivered() async throws {
        struct Abort: Error {}
        let configuration = try testConfiguration()
        try await withConnection(configuration) { listener in
            try await withConnection(configuration) { notifier in
                let channel = uniqueName("rollback")
                let notifications = try await listener.listen(channel)
                await #expect(throws: Abort.self) {
                    try await notifier.withTransaction { tx in
                        try await tx.notify(channel, payload: "rolled-back")
                        throw Abort()
                    }
                }
                try await notifier.withTransaction { tx in try await tx.notify(channel, payload: "committed") }
                try await notifier.notify(channel, payload: "marker")
                // Notifications arrive in commit order: everything before the marker is all there was.
                let beforeMarker = try await withTimeout(.seconds(10), "the marker notification") {
                    var payloads: [String] = []
                    for try await notification in notifications {
                        if notification.payload == "marker" { return payloads }
                        payloads.append(notification.payload)
                    }
                    return payloads + ["<stream ended>"]
                }
                #expect(beforeMarker == ["committed"])
            }
        }
    }

    @Test func queriesOnTheListeningConnectionStillWork() async throws {
        let configuration = try testConfiguration()
        try await withConnection(configuration) { listener in
            try await withConnection(configuration) { notifier in
                let channel = uniqueName("busy")
                let notifications = try await listener.listen(channel)
                let before = try await listener.query("SELECT \(41)::int + 1")
                #expect(try before[0].decode(Int.self, column: 0) == 42)
                // The listener can notify itself, inside a transaction, too.
                try await listener.withTransaction { tx in try await tx.notify(channel, payload: "self") }
                try await notifier.notify(channel, payload: "other")
                let payloads = try await withTimeout(.seconds(10), "two notifications") {
                    var payloads: [String] = []
                    for try await notification in notifications {
                        payloads.append(notification.payload)
                        if payloads.count == 2 { break }
                    }
                    return payloads
                }
                #expect(payloads == ["self", "other"])
                let after = try await listener.query("SELECT \("still here")::text")
                #expect(try after[0].decode(String.self, column: 0) == "still here")
            }
        }
    }

    @Test func droppingTheNotificationsStopsListening() async throws {
        try await withConnection(try testConfiguration()) { listener in
            let channel = uniqueName("stop")
            @Sendable func channels() async throws -> [String] {
                try await listener.query("SELECT pg_listening_channels()").map { try $0.decode(String.self, column: 0) }
            }
            // The sequence lives only in this task: when it ends, nothing holds the stream.
            let consumer = Task {
                for try await _ in try await listener.listen(channel) { return true }
                return false
            }
            try await waitUntil(timeout: .seconds(10)) { try await channels() == [channel] }
            try await listener.notify(channel, payload: "one")
            #expect(try await withTimeout(.seconds(10), "the notification") { try await consumer.value })
            try await waitUntil(timeout: .seconds(10)) { try await channels().isEmpty }
        }
    }

    @Test func theStreamEndsNormallyWhenTheConnectionIsClosed() async throws {
        let listener = try await PostgresConnection.connect(configuration: try testConfiguration())
        let notifications = try await listener.listen(uniqueName("closed"))
        let ended = Task {
            for try await _ in notifications {}
            return true
        }
        await listener.close()
        #expect(try await withTimeout(.seconds(10), "the end of the stream") { try await ended.value })
    }

    @Test func aListeningConnectionIsReleasedOnceClosedAndItsStreamDropped() async throws {
        weak var released: PostgresConnection?
        do {
            let listener = try await PostgresConnection.connect(configuration: try testConfiguration())
            released = listener
            let notifications = try await listener.listen(uniqueName("released"))
            try await listener.notify("other", payload: "")
            await listener.close()
            var iterator = notifications.makeAsyncIterator()
            #expect(try await iterator.next() == nil)
        }
        // The notification pump's last slice may still hold it for up to 50 ms.
        try await waitUntil(timeout: .seconds(10)) { released == nil }
    }
}
