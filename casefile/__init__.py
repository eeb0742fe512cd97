"""A case's record in one place (issue 12 §6): every submission's values, deadlines, exceptions, reviews, findings."""
