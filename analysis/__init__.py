"""Analysis of the procedure's models and of what ran: soundness, form completability, event logs."""
