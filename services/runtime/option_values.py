"""The command line's parser, which reads a value that starts with ``-`` as the value it is.

argparse takes any word that starts with ``-`` and is no negative integer for an option, so
``audit verify --access-log-head -5:<hash>``, ``--days -1.5`` or ``--days -inf`` was refused
"expected one argument", naming no reason, where ``-5:<hash>`` is refused, naming the
option, as no entry number. Here a word of one leading ``-`` that names no option is a
value: the option before it takes it, and its own check says what is wrong with it; given
where no option takes it, it is an unrecognized argument. ``--`` words are still options,
so a value forgotten before the next option (``--client --program X``) is said so.

A refusal quotes a word of what it refused up to ``QUOTED_MOST`` characters: argparse quotes a value
whole (``invalid UUID value: '...'``), and a value of 100,000 characters was said on 100 kB
of stderr, which a service manager's journal keeps.
"""

from __future__ import annotations

import argparse
import re
from typing import Any, NoReturn

QUOTED_MOST = 120
"""Characters of a word a refusal quotes: more than an access-log head (SEQ:HASH, 84)."""

_LONG = re.compile(rf"\S{{{QUOTED_MOST + 1},}}")
"""A word longer than a refusal quotes."""


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser``, a word such as ``-5:ab`` or ``-inf`` read as a value;
    the parsers of its subcommands are of this class too."""

    def _parse_optional(self, arg_string: str) -> Any:
        found = super()._parse_optional(arg_string)
        unknown = isinstance(found, tuple) and found[0] is None
        if unknown and not arg_string.startswith(self.prefix_chars * 2):
            return None
        return found

    def error(self, message: str) -> NoReturn:
        """Refuse, with the usage, each long word of ``message`` cut short."""
        super().error(_LONG.sub(lambda word: f"{word[0][:QUOTED_MOST]}...", message))
