// Placeholder until OutboxTests are written.
