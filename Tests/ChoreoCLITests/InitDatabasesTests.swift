import Foundation
import Testing

/// scripts/docker/init-databases.sql run as the postgres image runs it, on a private server.
@Suite("init-databases.sql on a real PostgreSQL")
struct InitDatabasesTests {
    @Test(
        "each compose container's database URL connects and can create tables; with it no other container's database accepts a connection"
    )
    func isolation() async throws {
        let compose = try DeploymentStructureTests.compose()
        let postgres = try #require(compose.services["postgres"])
        let superuser = try #require(postgres.environment["POSTGRES_USER"])
        let password = try #require(postgres.environment["POSTGRES_PASSWORD"])
        let defaultDatabase = try #require(postgres.environment["POSTGRES_DB"])
        let script = DeploymentStructureTests.root.appending(path: "scripts/docker/init-databases.sql")
        // (container, user, password, database) from each database URL of a choreo container.
        var logins: [(container: String, user: String, password: String, database: String)] = []
        for container in DeploymentStructureTests.choreoContainers(compose) {
            for (key, value) in container.environment where key.hasSuffix("_DATABASE_URL") {
                let url = try #require(URLComponents(string: value))
                logins.append(
                    (container.name, url.user ?? "", url.password ?? "", String(url.path.dropFirst())))
            }
        }
        #expect(logins.count >= 7)

        try await PrivatePostgresServer.with(superuser: superuser, password: password) { server in
            // The image creates POSTGRES_DB, then runs the init scripts in it.
            let create = try await server.psql(
                user: superuser, password: password, database: "postgres", ["-c", "CREATE DATABASE \(defaultDatabase)"])
            #expect(create.status == 0, "\(create.stderr)")
            let initRun = try await server.psql(
                user: superuser, password: password, database: defaultDatabase, ["-f", script.path])
            try #require(initRun.status == 0, "init-databases.sql failed: \(initRun.stderr)")

            for login in logins {
                let own = try await server.psql(
                    user: login.user, password: login.password, database: login.database,
                    ["-c", "CREATE TABLE probe (id int PRIMARY KEY); INSERT INTO probe VALUES (1); DROP TABLE probe;"])
                #expect(own.status == 0, "\(login.container) cannot use \(login.database): \(own.stderr)")
                for other in Set(logins.map(\.database) + [defaultDatabase]) where other != login.database {
                    let foreign = try await server.psql(
                        user: login.user, password: login.password, database: other, ["-c", "SELECT 1"])
                    #expect(foreign.status != 0, "\(login.container) can connect to \(other)")
                    #expect(foreign.stderr.contains("CONNECT privilege"), "\(foreign.stderr)")
                }
            }
        }
    }
}
