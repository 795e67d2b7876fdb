"""``bbot-tui doctor``: print :func:`bbot_tui.session.doctor.run_checks` as ✓/✗ lines (or JSON).

The server and key come from :func:`bbot_tui.session.connect.resolve_connection` like every
other command (``--url`` with the key in ``BBOT_API_KEY`` checks with that key); the first line
says where the key came from, and a notice says when a profile's key was left out and why.

Exit 0 when no check failed, 1 otherwise (warnings, marked ``!``, do not fail).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from bbot_tui.cli.common import EXIT_ERROR, EXIT_OK, Output, UsageError, resolve_connection
from bbot_tui.config.secrets import describe_store
from bbot_tui.config.security import mask_key
from bbot_tui.session.connect import env_overrides
from bbot_tui.session.doctor import run_checks
from bbot_tui.text import one_line

__all__ = ["doctor_command"]

_MARK = {True: "✓", False: "✗", None: "!"}


async def doctor_command(args: argparse.Namespace, output: Output) -> int:
    """Check the connection to a server step by step."""
    where = "given"
    try:
        conn = resolve_connection(args.url, args.api_key, args.profile, output)
        url, headers, insecure = conn.base_url, dict(conn.extra_headers), conn.allow_insecure
        trust_env = conn.use_environment_proxy
        key = conn.api_key.get_secret_value() if conn.api_key is not None else None
        where = conn.describe_key()
        if conn.key_source == "profile" and conn.profile is not None:
            where += ", " + describe_store(conn.profile.key_store, has_key=True)
    except UsageError:
        if args.url is None:
            raise
        # a malformed URL or key (flag, else environment): the checks explain it
        url, headers, insecure, trust_env = args.url, {}, False, True
        key = args.api_key if args.api_key is not None else env_overrides().api_key
    if not args.json:
        shown = mask_key(key) if key is None else f"{mask_key(key)}, {where}"
        output.note(f"checking {one_line(url, 200)} (key: {shown})")
    checks = await run_checks(url, key, headers, allow_insecure=insecure, trust_env=trust_env)
    if args.json:
        output.json(
            {
                "ok": checks.ok,
                "base_url": checks.base_url,
                "assistants_path": checks.assistants_path,
                "checks": [asdict(c) for c in checks],
            }
        )
    else:
        for check in checks:
            output.line(f"{_MARK[check.ok]} {check.name}: {check.detail}")
            if check.fix and check.ok is not True:
                output.line(f"    fix: {check.fix}")
        output.line("all checks passed" if checks.ok else "some checks failed")
    return EXIT_OK if checks.ok else EXIT_ERROR
