// Placeholder until the ChoreoTestSupport target is written.
