"""What the running app's requests share, API and pages alike: the database session per request."""
