"""Shell completion for `tokendesk` (bash, zsh, fish) through argcomplete: the shell's hook runs
tokendesk with argcomplete's environment variables, and `tokendesk completion SHELL` prints that hook."""

from __future__ import annotations

import argparse

import argcomplete

PROG = "tokendesk"


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request (argcomplete's protocol: _ARGCOMPLETE, COMP_LINE,
    COMP_POINT, _ARGCOMPLETE_SHELL …) and exit; returns only when no request is pending."""
    argcomplete.autocomplete(parser)


def run_completion(args: argparse.Namespace) -> int:
    # The same code `register-python-argcomplete tokendesk` prints, per shell.
    print(argcomplete.shellcode([PROG], shell=args.shell), end="")
    return 0
