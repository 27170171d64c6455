// Placeholder until KafkaTests are written.
