// Placeholder until the Postgres target is written.
