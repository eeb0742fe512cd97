"""What is wrong in the cases: deadline arithmetic, contract profiles, the check catalog and its runner."""
