"""Importing lead lists: reading files, mapping columns, checking rows, applying them.

`reading` turns bytes into a table, `mapping` guesses which column is what,
`rows` checks one row, and `engine` plans (dry run) and applies an import.
"""
