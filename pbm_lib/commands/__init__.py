"""Subcommands of ``pbm``: one module each, listed in :data:`pbm_lib.cli.COMMAND_MODULES`."""
