"""Packaging for contrib-compat."""
import setuptools

setuptools.setup(
    name='contrib-compat',
    version='0.1.0',
    description=('tf.contrib separable_conv2d / batch_norm rebuilt on public '
                 'TensorFlow APIs, so TF1 slim code runs on TensorFlow 2.'),
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=setuptools.find_packages(include=['contrib_compat',
                                               'contrib_compat.*']),
    python_requires='>=3.9',
    # TensorFlow itself sits in an extra so that a fresh machine never pulls a
    # GPU build unless `[gpu]` is asked for.
    install_requires=['numpy', 'tf-slim'],
    extras_require={
        'cpu': ['tensorflow-cpu'],
        'gpu': ['tensorflow[and-cuda]'],
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
