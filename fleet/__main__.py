from fleet.cli.main import main

main(prog="python -m fleet")
