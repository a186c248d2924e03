"""Command line for lesson files: ``python -m tools.lessons --help``."""
