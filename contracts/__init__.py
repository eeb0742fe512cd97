"""The contract profiles shipped with the product (package data: *.toml), read by checks/profiles.py."""
