"""Run the stock `c7n-mailer --run` against a LocalAWS's mailer queue, delivering to an
SmtpSink, with the repository's mailer/mailer.example.yml and templates."""

from pathlib import Path

import yaml

from .runner import run

MAILER = Path(__file__).resolve().parent.parent / "mailer"
EXAMPLE = MAILER / "mailer.example.yml"
TEMPLATES = MAILER / "templates"


def settings(smtp):
    """mailer.example.yml as it is, but for the relay: the sink's port on 127.0.0.1.

    Its queue_url (account 123456789012, us-east-1) is the demo account's queue; the
    environment (`LocalAWS.env()`) sends the calls to the local AWS.
    """
    config = yaml.safe_load(EXAMPLE.read_text())
    config.update(smtp_server=smtp.host, smtp_port=smtp.port)
    return config


def write_config(smtp, path):
    Path(path).write_text(yaml.safe_dump(settings(smtp), sort_keys=False))
    return path


def command(config):
    """The arguments after `c7n-mailer`."""
    return ["--config", str(config), "--templates", str(TEMPLATES), "--run"]


def run_mailer(aws, config, home, timeout=300):
    """`c7n-mailer --config CONFIG --templates mailer/templates --run`: it reads the queue
    until it is empty, sends what it read, deletes it from the queue and exits."""
    return run(aws, "c7n-mailer", *command(config), home=home, cwd=home, timeout=timeout)
