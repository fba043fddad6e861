"""Jinja2 templates for notifications and documents, the outbox, and the delivery channels."""
