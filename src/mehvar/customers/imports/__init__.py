"""Importing customers and orders from CSV and Excel files (issue 2, section 5)."""
