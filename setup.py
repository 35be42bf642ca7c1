"""The one compiled module (corpus/core/_blocks.pyx, the native extraction core); everything else is in
pyproject.toml. It reads lxml's libxml2 tree in C, so it builds against the lxml it will run with."""

import lxml
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [Extension("corpus.core._blocks", ["corpus/core/_blocks.pyx"], include_dirs=lxml.get_include())],
        compiler_directives={"language_level": 3},
        quiet=True,
    )
)
