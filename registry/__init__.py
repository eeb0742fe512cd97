"""The processor register (issue 12 §5): who each processor is and which contract profile applies."""
