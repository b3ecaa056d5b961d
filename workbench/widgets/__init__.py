"""Reusable widgets: virtual record views, the bench, the sidebar."""
