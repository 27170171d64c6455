// Placeholder until PostgresTests are written.
