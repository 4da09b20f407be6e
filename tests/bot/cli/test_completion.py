"""Shell completion as a shell asks for it: argcomplete's environment-variable protocol against the
installed `tokendesk` script, per shell output format, and bash running the printed hook itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("tokendesk")
HELP = "encryption keys for stored tokens"

# What each shell's hook (argcomplete.shellcode) sets besides COMP_LINE/COMP_POINT.
SHELLS = {
    "bash": {"_ARGCOMPLETE_SHELL": "bash", "_ARGCOMPLETE_SUPPRESS_SPACE": "1"},
    "zsh": {"_ARGCOMPLETE_SHELL": "zsh", "_ARGCOMPLETE_SUPPRESS_SPACE": "1"},
    "fish": {"_ARGCOMPLETE_SHELL": "fish", "_ARGCOMPLETE_DFS": "\t", "_ARGCOMPLETE_IFS": "\n",
             "_ARGCOMPLETE_SUPPRESS_SPACE": "1"},
}
EXPECTED = {"bash": ["keys"], "zsh": [f"keys:{HELP}"], "fish": [f"keys\t{HELP}"]}
SEPARATOR = {"bash": "\013", "zsh": "\013", "fish": "\n"}


def ask(line: str, shell: str, tmp_path: Path) -> list[str]:
    out = tmp_path / f"{shell}.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKENDESK_", "_ARGCOMPLETE", "COMP_"))}
    env.update(SHELLS[shell], _ARGCOMPLETE="1", COMP_LINE=line, COMP_POINT=str(len(line)),
               _ARGCOMPLETE_STDOUT_FILENAME=str(out))
    done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # the answer goes to the hook's file, never into the terminal
    return out.read_text().split(SEPARATOR[shell])


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_k_tab_completes_to_keys(shell: str, tmp_path: Path) -> None:
    assert ask("tokendesk k", shell, tmp_path) == EXPECTED[shell]


def test_subcommands_and_choices_complete_too(tmp_path: Path) -> None:
    assert ask("tokendesk keys r", "bash", tmp_path) == ["rotate"]
    assert {"bash", "fish", "zsh"} <= set(ask("tokendesk completion ", "bash", tmp_path))
    assert ask("tokendesk links --state b", "bash", tmp_path) == ["broken"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_command_prints_the_hook_for_tokendesk(shell: str) -> None:
    done = subprocess.run([str(SCRIPT), "completion", shell], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "tokendesk" in done.stdout and "_ARGCOMPLETE" in done.stdout
    if shell == "fish":
        assert "complete --command tokendesk" in done.stdout
    else:
        assert "_python_argcomplete" in done.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_runs_the_printed_hook_and_offers_keys(tmp_path: Path) -> None:
    program = (
        f'PATH="{SCRIPT.parent}:$PATH"; source <(tokendesk completion bash)\n'
        'COMP_WORDS=(tokendesk k); COMP_CWORD=1; COMP_LINE="tokendesk k"; COMP_POINT=11\n'
        '_python_argcomplete tokendesk k tokendesk\n'
        'printf "[%s]\\n" "${COMPREPLY[@]}"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("_ARGCOMPLETE", "COMP_"))}
    done = subprocess.run(["bash", "-c", program], env=env, capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[keys ]"


def test_completion_support_is_not_loaded_without_a_request() -> None:
    code = ("import sys; from bot.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print('argcomplete' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                          env={k: v for k, v in os.environ.items() if not k.startswith("_ARGCOMPLETE")})
    assert done.stdout.strip().endswith("False"), done.stdout + done.stderr
