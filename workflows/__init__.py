"""The engine: parsing models, running instances with SpiffWorkflow, saving them, and the Prefect flows."""
