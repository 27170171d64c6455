// Placeholder until the Topics target is written.
