"""c7n_exposedkeys: deactivate the IAM access keys AWS Trusted Advisor flags as exposed."""
import os

from setuptools import setup
from setuptools.command.build_py import build_py

# Installed beside the package in site-packages: they register the plugin when
# c7n imports its iam resources (c7n itself has no plugin loading).
STARTUP_FILES = ('c7n_exposedkeys.pth', 'c7n_exposedkeys.start')
HERE = os.path.dirname(os.path.abspath(__file__))


class BuildWithStartupFiles(build_py):
    """Put the startup files at the root of the wheel, so pip installs them into
    site-packages and removes them again on uninstall."""

    def run(self):
        super().run()
        # An editable install's wheel is made from the install folder, not build_lib.
        target = (self.get_finalized_command('install').install_lib
                  if self.editable_mode else self.build_lib)
        for name in STARTUP_FILES:
            self.copy_file(os.path.join(HERE, name), os.path.join(target, name))


C7N = ['c7n==0.9.53', 'c7n-org==0.6.52', 'c7n-mailer==0.6.52']
# The local SMTP server the mailer delivers to (localaws/smtp.py).
SMTP_SINK = ['aiosmtpd==1.4.6']

setup(
    name='c7n_exposedkeys',
    version='0.1.0',
    description=__doc__,
    long_description=open(os.path.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.10',
    packages=['c7n_exposedkeys'],
    install_requires=['c7n>=0.9.53', 'boto3', 'pyyaml'],
    extras_require={
        # c7n, c7n-org and c7n-mailer pin each other: move them together.
        'test': C7N + SMTP_SINK + ['pytest', 'placebo', 'moto[server]==5.2.5'],
        'localaws': C7N + SMTP_SINK + ['moto[server]==5.2.5'],
    },
    cmdclass={'build_py': BuildWithStartupFiles},
    zip_safe=False,
)
