"""Scenario authoring kit: file format, checker, notebook and book compiler, quiz runtime."""
