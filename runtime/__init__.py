"""What the API and the pages share at run time (the lead's layout move replaces this shim)."""
