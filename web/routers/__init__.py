"""HTTP routers: ``api_*`` answer JSON under /api, ``ui_*`` render pages."""
