"""Human-task handling (inbox, forms, completion) and the automated task handlers."""
