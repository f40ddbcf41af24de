"""The build backend of the nmfnet package: maturin's, after a check that cargo is there.

Without cargo, maturin's backend would download a Rust toolchain (about 1.8 GB) into a cache
folder on its own; this backend stops instead and says how to install Rust. It also tells pip
how long the build takes, which pip shows with ``-v``.
"""

import os
import shutil
import sys

# maturin's own switch: never install Rust behind the user's back.
os.environ.setdefault("MATURIN_NO_INSTALL_RUST", "1")

import maturin  # noqa: E402  (after the switch above)

HINT = (
    "nmfnet's Python package compiles its Rust core with cargo, which is not on PATH.\n"
    "Install Rust first (https://rustup.rs: `curl https://sh.rustup.rs -sSf | sh`, or your\n"
    "system's package, e.g. `apt-get install cargo`), open a new shell, and run pip again."
)


def _need_cargo():
    if shutil.which("cargo") is None:
        raise RuntimeError(HINT)


def _note():
    print(
        "nmfnet: building the Rust core with cargo in release mode; a cold build takes about 6 "
        "minutes on 2 cores (seconds when `cargo build --release` ran in this checkout first).",
        file=sys.stderr,
        flush=True,
    )


def get_requires_for_build_wheel(config_settings=None):
    _need_cargo()
    return maturin.get_requires_for_build_wheel(config_settings)


def get_requires_for_build_sdist(config_settings=None):
    return maturin.get_requires_for_build_sdist(config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _need_cargo()
    return maturin.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _need_cargo()
    _note()
    return maturin.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _need_cargo()
    _note()
    return maturin.build_editable(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory, config_settings=None):
    return maturin.build_sdist(sdist_directory, config_settings)


# Optional hooks of PEP 660 that this maturin may not have: passed on only where it does.
for _name in ("get_requires_for_build_editable", "prepare_metadata_for_build_editable"):
    if hasattr(maturin, _name):
        globals()[_name] = getattr(maturin, _name)
