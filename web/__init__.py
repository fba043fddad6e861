"""The people's interface: a JSON API (with its OpenAPI document) and server-rendered GOV.UK-style pages.

Handlers only translate HTTP to service calls and back; every rule lives in
the services, so the CLI, the API and the pages behave the same.
"""
