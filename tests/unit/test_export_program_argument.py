"""``audit export --program`` is a program's name as an enrolment holds one: printable, at
most 200 characters. One of thousands of characters was read against every enrolment and
then quoted whole in 'no client is enrolled in program ...'; it is refused with the usage,
naming the argument, before anything is read or logged."""

from __future__ import annotations

import pytest

from carecoord.services.runtime.cli import arguments, main


@pytest.mark.parametrize("program", ["North\x1b[2JOTP", "North\nOTP", "p" * 201, " "])
def test_a_program_that_no_enrolment_can_name_is_refused_with_the_usage(
    capsys: pytest.CaptureFixture[str], program: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["audit", "export", "--program", program, "--as", "aud-1"])
    out, err = capsys.readouterr()

    assert exited.value.code == 2
    assert not out
    assert "argument --program: printable text of 1 to 200 characters" in err
    if program.strip():
        assert program not in err


def test_a_program_is_read_as_an_enrolment_reads_it() -> None:
    """ " OTP " was looked for as written, and no client is enrolled in it: the enrolment
    and the API's export trim it."""
    args = arguments().parse_args(["audit", "export", "--program", " North OTP ", "--as", "a"])

    assert args.program == "North OTP"


def test_a_program_written_two_ways_is_refused_with_the_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["audit", "export", "--program", "North  OTP", "--as", "aud-1"])

    assert exited.value.code == 2
    assert "argument --program: --program holds two spaces where a reader sees one" in (
        capsys.readouterr().err
    )
