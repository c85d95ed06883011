"""The command line: one parser, a module per command group."""
