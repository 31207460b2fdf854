"""What wraps every request: ASGI middleware and the app-wide wiring ``create_app`` installs."""
