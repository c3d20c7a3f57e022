"""``carecoord disclose --name`` longer than a consent's recipient name can be is refused with
the usage and exit 2 before any server starts: it raised a validation traceback from inside
the running forwarder."""

from __future__ import annotations

import subprocess
import sys

from carecoord.services.runtime.cli import arguments

DISCLOSE = (sys.executable, "-m", "carecoord.services.runtime.cli", "disclose")


def test_a_recipient_name_too_long_for_the_record_is_refused_with_the_usage() -> None:
    done = subprocess.run(
        [*DISCLOSE, "--recipient", "clinic_north", "--name", "N" * 201],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2, done.stderr
    assert "argument --name: a recipient's name is at most 200 characters" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_longest_name_the_record_holds_is_taken() -> None:
    args = arguments().parse_args(["disclose", "--recipient", "clinic_north", "--name", "N" * 200])

    assert args.name == "N" * 200


def test_a_recipient_name_a_reader_would_not_see_all_of_is_refused_with_the_usage() -> None:
    """A zero-width or line-breaking character in it was refused by the consent record at
    each disclosure, from inside the running forwarder."""
    done = subprocess.run(
        [*DISCLOSE, "--recipient", "clinic_north", "--name", "North\u200bClinic"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2, done.stderr
    assert "argument --name: --name holds U+200B at 5, which a reader does not see" in done.stderr
    assert "Traceback" not in done.stderr
