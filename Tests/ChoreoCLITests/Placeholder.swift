// Placeholder until ChoreoCLITests are written.
