"""One rule for exit codes over every option of every command (cli/common.py):
1 for a value the user gave that cannot be used, 2 for a malformed command line.

The table below must name a bad value for every option that takes one; a new option
without an entry fails :func:`test_every_option_has_a_bad_value_in_the_table`. The
``books`` commands need a books database to reach their options and are tested with one
in tests/books; ``users`` likewise, in tests/service.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sovfund.cli.main import app

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"
FLOWS = Path(__file__).parents[2] / "examples" / "tiny-flows.csv"

BAD_VALUES = {
    "--paths": ["0", "-3", "1.5", "abc", "10000000000000000"],
    "--seed": ["-1", "x"],
    "--batch-size": ["0", "-256", "z"],
    "--engine": ["x"],
    "--stress": ["nosuch"],
    "--backend": ["nonsense"],
    "--workers": ["0", "100000", "two"],
    "--scheduler": ["nonsense", "tcp://127.0.0.1:1", "tcp://host:99999"],
    "--study-paths": ["-1", "many"],
    "--opt-out-paths": ["-1", "some"],
    "--out": ["IN_THE_WAY"],
    "--only": ["nosuch"],
    "--party": ["nosuch"],
    "--levels": ["nan", "-1", "0,lots", "", "100"],
    "--metric": ["sharpe"],
    "--from-books": ["no-such-books.db"],
    "--as-of": ["soon", "2026-13-01"],
    # sovfund serve: checked before the books are opened
    "--host": ["", "no such host!"],
    "--port": ["-1", "70000", "http"],
    "--max-paths": ["0", "1000000000", "all"],
    "--queue": ["0", "100000", "long"],
    "--rate": ["0", "nan", "fast"],
    "--burst": ["0", "big"],
}
"""For each option, values that must exit 1 with the option named."""

ARGUMENTS = {
    "waterfall": [str(TINY), str(FLOWS)],
    "compare": ["son-2025", "mou-550b"],
    "show": ["son-2025"],
    "serve": ["no-such-books.db"],
}
CHEAP = {"--paths": "256", "--study-paths": "0"}


def _commands() -> Iterator[tuple[list[str], typer.core.TyperCommand]]:
    root = typer.main.get_command(app)

    def walk(group: object, prefix: list[str]) -> Iterator[tuple[list[str], object]]:
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            if hasattr(command, "commands"):
                yield from walk(command, [*prefix, name])
            else:
                yield [*prefix, name], command

    for path, command in walk(root, []):  # type: ignore[misc]
        if path[0] not in ("books", "users"):  # users: tests/service/test_cli_service.py
            yield path, command


def _value_options(command: object) -> list[str]:
    return [
        opt
        for param in command.params  # type: ignore[attr-defined]
        if not getattr(param, "is_flag", False) and param.param_type_name == "option"
        for opt in param.opts
        if opt.startswith("--")
    ]


COMMANDS = list(_commands())
CASES = [
    (path, option, value)
    for path, command in COMMANDS
    for option in _value_options(command)
    for value in BAD_VALUES.get(option, [])
]


def _invoke(args: list[str], tmp_path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), args
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in output
    return result.exit_code, " ".join(output.split())


def _line(path: list[str], option: str | None, value: str | None, tmp_path: Path) -> list[str]:
    args = [*path, *ARGUMENTS.get(path[-1], [])]
    options = dict(_value_options_of(path))
    for cheap, setting in {**CHEAP, "--out": str(tmp_path / "out")}.items():
        if cheap in options and cheap != option:
            args += [cheap, setting]
    if "--quiet" in options:
        args.append("--quiet")
    if option is not None and value is not None:
        if value == "IN_THE_WAY":
            value = str(tmp_path / "a-file")
            (tmp_path / "a-file").write_text("in the way of a folder")
        args += [option, value]
    return args


def _value_options_of(path: list[str]) -> list[tuple[str, bool]]:
    command = next(c for p, c in COMMANDS if p == path)
    return [
        (opt, bool(getattr(param, "is_flag", False)))
        for param in command.params  # type: ignore[attr-defined]
        for opt in param.opts
        if opt.startswith("--")
    ]


def test_every_option_has_a_bad_value_in_the_table() -> None:
    missing = {
        f"{' '.join(path)} {option}"
        for path, command in COMMANDS
        for option in _value_options(command)
        if option not in BAD_VALUES
    }
    assert not missing, f"give these options bad values in BAD_VALUES: {sorted(missing)}"
    assert len(CASES) > 40


@pytest.mark.parametrize(
    ("path", "option", "value"),
    CASES,
    ids=[f"{' '.join(p)} {o} {v!r}" for p, o, v in CASES],
)
def test_a_bad_option_value_exits_1_naming_the_option(
    path: list[str], option: str, value: str, tmp_path: Path
) -> None:
    code, output = _invoke(_line(path, option, value, tmp_path), tmp_path)
    assert code == 1, output
    assert option in output


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_usage_errors_exit_2(path: list[str], command: object, tmp_path: Path) -> None:
    base = _line(path, None, None, tmp_path)
    assert _invoke([*base, "--no-such-option"], tmp_path)[0] == 2
    for option in _value_options(command):  # an option missing its value, last
        assert _invoke([*base, option], tmp_path)[0] == 2, option
    if path[-1] in ARGUMENTS:  # a missing argument, one too many
        assert _invoke(path, tmp_path)[0] == 2
        assert _invoke([*base, "one-too-many"], tmp_path)[0] == 2


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "no-such-file.toml"],
        ["validate", "IN_DIR"],
        ["waterfall", str(TINY), "no-such-flows.csv"],
        ["waterfall", str(TINY), "IN_DIR"],
        ["waterfall", "no-such-terms.toml", str(FLOWS)],
        ["simulate", "no-such-preset"],
        ["scenarios", "show", "no-such-preset"],
        ["compare", str(TINY), "son-2025", "--paths", "256"],  # no country: refused
    ],
)
def test_unreadable_or_refused_inputs_exit_1(args: list[str], tmp_path: Path) -> None:
    args = [str(tmp_path) if a == "IN_DIR" else a for a in args]
    code, output = _invoke(args, tmp_path)
    assert code == 1, output
