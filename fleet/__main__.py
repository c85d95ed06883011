from fleet.cli.console import main

main(prog="python -m fleet")
