"""The console command `app-of-apps` and `python -m fleet`: the command's modules are imported
inside the guard, so a Ctrl-C while they load (a second or so for the stack commands) ends the
command as one while it runs does, with one line and exit 130 instead of a traceback. (Only
this module's own two imports, and the interpreter's start and end, are outside it.)"""

from __future__ import annotations

import sys

from fleet.cli.exits import INTERRUPTED
from fleet.cli.parser import COMMAND


def main(prog: str = COMMAND) -> None:
    try:
        from fleet.cli.main import main as command

        command(prog)
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        sys.exit(INTERRUPTED)
