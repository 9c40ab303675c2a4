"""Ship the process and template library inside the package.

The library is kept at the repository's top (`processes/`, `templates/`: the library as
a user sees it). Building a wheel or sdist copies both into `procdoc/library/`, so a plain
`pip install` of the wheel can run `procdoc init`; an editable install reads them from the
repository instead (see procdoc.commands.setup.library_dir).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
LIBRARY = {"processes": ("*.yaml", "README.md"), "templates": ("*.docx", "README.md")}


class BuildWithLibrary(build_py):  # type: ignore[misc]
    """build_py, then the library copied into build/lib/procdoc/library."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "procdoc" / "library"
        for folder, patterns in LIBRARY.items():
            source = HERE / folder
            if not source.is_dir():  # building from an sdist that already holds the copy
                continue
            (target / folder).mkdir(parents=True, exist_ok=True)
            for pattern in patterns:
                for path in sorted(source.glob(pattern)):
                    shutil.copy2(path, target / folder / path.name)


setup(cmdclass={"build_py": BuildWithLibrary})
