// Placeholder until TopicsTests are written.
