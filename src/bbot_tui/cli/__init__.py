"""The headless command line: ``bbot-tui run``, ``join``, tables, ``replay`` and ``doctor``.

Everything here is UI-free (no Textual import); :mod:`bbot_tui.cli.main` parses the arguments and
dispatches to these modules.
"""
