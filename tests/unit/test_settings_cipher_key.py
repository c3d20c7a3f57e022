"""``CARECOORD_CIPHER_KEY`` is refused at start unless it is a base64 AES key of 16, 24 or 32
bytes, naming the variable and never its value: a 64-character hex string (what
``secrets.token_hex(32)`` gives) started the command and failed at the store's first use
with the library's traceback."""

from __future__ import annotations

import base64
import secrets

import pytest
from pydantic import ValidationError

from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.cli import settings_or_exit

HEX = secrets.token_hex(32)


@pytest.mark.parametrize(
    "key", [HEX, "not base64!", "c2hvcnQ="], ids=["hex", "not-base64", "short"]
)
def test_a_key_that_is_no_aes_key_is_refused_without_its_value(key: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(cipher_key=key)
    [error] = refused.value.errors()
    assert "16, 24 or 32 bytes" in error["msg"]
    assert key not in error["msg"]


@pytest.mark.parametrize("size", [16, 24, 32])
def test_a_base64_aes_key_is_taken(size: int) -> None:
    key = base64.b64encode(secrets.token_bytes(size)).decode()
    assert Settings(cipher_key=key).cipher_key == key


def test_the_command_line_names_the_variable_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARECOORD_CIPHER_KEY", HEX)
    with pytest.raises(SystemExit) as stopped:
        settings_or_exit()
    said = capsys.readouterr().err
    assert stopped.value.code == 2
    assert said.startswith("carecoord: CARECOORD_CIPHER_KEY: ")
    assert HEX not in said
