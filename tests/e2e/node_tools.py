"""Node.js reference clients for the protocol tests: the ``graphql-http`` audit and the
``graphql-ws`` client, installed from npm into a cache directory outside the repository.

The packages go to ``CARECOORD_NPM_CACHE`` (default ``~/.cache/carecoord-npm``), installed
once and reused. A test that needs them is skipped, saying why, when ``node`` or ``npm`` is
missing or the registry cannot be reached.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

SCRIPTS = Path(__file__).parent / "node"
PACKAGES = {"graphql-http": "1", "graphql-ws": "6", "graphql": "16", "ws": "8"}
"""npm package and major version: the audit, the reference websocket client and their peers
(``ws``: Node 20 has no WebSocket of its own)."""
INSTALL_SECONDS = 300
RUN_SECONDS = 120.0


def npm_cache() -> Path:
    return Path(os.environ.get("CARECOORD_NPM_CACHE", Path.home() / ".cache" / "carecoord-npm"))


def _installed(modules: Path) -> bool:
    for name, major in PACKAGES.items():
        manifest = modules / name / "package.json"
        if not manifest.is_file():
            return False
        version = str(json.loads(manifest.read_text(encoding="utf-8")).get("version", ""))
        if version.split(".", maxsplit=1)[0] != major:
            return False
    return True


def node_modules() -> Path:
    """The cache's node_modules with every package in place; skips the test when it cannot be."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: the npm reference clients cannot run here")
    cache = npm_cache()
    modules = cache / "node_modules"
    if _installed(modules):
        return modules
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the npm reference clients cannot be installed here")
    cache.mkdir(parents=True, exist_ok=True)
    wanted = [f"{name}@{major}" for name, major in PACKAGES.items()]
    try:
        done = subprocess.run(
            [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", *wanted],
            capture_output=True,
            text=True,
            timeout=INSTALL_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm install took over {INSTALL_SECONDS} s (is the npm registry reachable?)")
    if done.returncode != 0 or not _installed(modules):
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        pytest.skip(f"npm could not install {' '.join(wanted)}: {' | '.join(tail)}")
    return modules


async def run_script(name: str, env: dict[str, str], timeout: float = RUN_SECONDS) -> Any:
    """Run ``node/<name>`` with the packages on NODE_PATH; the JSON it prints last."""
    modules = node_modules()
    process = await asyncio.create_subprocess_exec(
        "node",
        str(SCRIPTS / name),
        env={**os.environ, **env, "NODE_PATH": str(modules)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"node {name} ran over {timeout} s") from None
    assert process.returncode == 0, f"node {name} exited {process.returncode}: {err.decode()}"
    lines = out.decode().strip().splitlines()
    assert lines, f"node {name} printed nothing: {err.decode()}"
    return json.loads(lines[-1])
