"""Shared fixtures: the nmfnet command line built from the same sources (for parity tests)."""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def cli_binary():
    """The `nmfnet` binary: $NMFNET_BIN, else release/nmfnet under $CARGO_TARGET_DIR or the
    repository's target/."""
    if os.environ.get("NMFNET_BIN"):
        return Path(os.environ["NMFNET_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "nmfnet"


@pytest.fixture(scope="session")
def nmfnet_cli():
    path = cli_binary()
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the nmfnet binary is not at {path}: build it first (cargo build --release)")
        pytest.skip(f"the nmfnet binary is not at {path} (cargo build --release builds it)")
    return str(path)


@pytest.fixture
def workdir(tmp_path):
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)
