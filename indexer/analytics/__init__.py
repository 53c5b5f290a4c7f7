"""Analytics: what the widget showed and what customers did with it (events and their store)."""
