"""Packaging for contrib-compat."""
import pathlib
import re

import setuptools

HERE = pathlib.Path(__file__).parent
# One version: contrib_compat.__version__, which the CLIs' --version print.
VERSION = re.search(r"^__version__ = '([^']+)'",
                    (HERE / 'contrib_compat' / '__init__.py').read_text(),
                    re.M).group(1)
# The releases the compatibility matrix in README.md has tested.
TENSORFLOW = '>=2.13,<2.22'

setuptools.setup(
    name='contrib-compat',
    version=VERSION,
    description=('tf.contrib separable_conv2d / batch_norm rebuilt on public '
                 'TensorFlow APIs, so TF1 slim code runs on TensorFlow 2.'),
    long_description=(HERE / 'README.md').read_text(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    classifiers=[
        'Development Status :: 4 - Beta',
        'Intended Audience :: Developers',
        'Intended Audience :: Science/Research',
        'Operating System :: OS Independent',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3 :: Only',
        # The interpreters tools/compat_matrix has run the suite on.
        'Programming Language :: Python :: 3.10',
        'Programming Language :: Python :: 3.11',
        'Programming Language :: Python :: 3.12',
        'Programming Language :: Python :: 3.13',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
        'Topic :: Software Development :: Libraries :: Python Modules',
    ],
    packages=setuptools.find_packages(include=['contrib_compat',
                                               'contrib_compat.*']),
    python_requires='>=3.9',
    # TensorFlow itself sits in an extra so that a fresh machine never pulls a
    # GPU build unless `[gpu]` is asked for.
    install_requires=['numpy', 'tf-slim'],
    extras_require={
        'cpu': ['tensorflow-cpu' + TENSORFLOW],
        'gpu': ['tensorflow[and-cuda]' + TENSORFLOW],
        # The benchmark tests draw the chart too.
        'test': ['pytest', 'hypothesis', 'libcst', 'matplotlib'],
        'migrate': ['libcst'],
        'bench': ['matplotlib'],
    },
    entry_points={
        'console_scripts': [
            'contrib-compat-migrate=contrib_compat.migrate:main',
            'contrib-compat-ckpt=contrib_compat.ckpt:main',
        ],
    },
)
