"""Settings, profiles, file locations and secrets: plain data and files, no network."""
