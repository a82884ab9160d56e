"""The `napflow` command line: database, demo, server, users and audit commands."""
