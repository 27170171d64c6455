// Placeholder until the Outbox target is written.
