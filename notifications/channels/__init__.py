"""Delivery channels: SMTP email, and in-app messages read from the outbox per user."""
