// Placeholder until ContractsTests are written.
