"""The demo's last step: the stock c7n-mailer reads what `custodian run` queued, renders
mailer/templates and sends it through SMTP to a local server, which saves each email; then the
delivered emails are printed as their readers see them."""

import os
import shlex
import textwrap
from collections import Counter
from pathlib import Path

from . import mailbox
from .mailer import EXAMPLE, TEMPLATES, command, run_mailer, write_config
from .smtp import SmtpSink

# The email table's columns the demo prints, in this order.
KEY_COLUMNS = ("Access key", "Fraud type", "Support case", "New", "Outcome")
WIDTH = 106


def relative(path):
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def clear(folder):
    """Forget the emails an earlier demo run saved in the same folder."""
    for path in list(folder.glob("*.eml")) + list(folder.glob("*.json")):
        path.unlink()


def key_lines(delivered):
    """Per email, its key rows as aligned text; and the heading line."""
    rows = [[[row.get(c, "") for c in KEY_COLUMNS] for row in mailbox.rows(mail["message"])]
            for mail in delivered]
    widths = [max(map(len, column)) for column in zip(KEY_COLUMNS, *sum(rows, []))]

    def line(cells):
        return "    " + "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return line(KEY_COLUMNS), [[line(cells) for cells in email] for email in rows]


def print_emails(delivered, folder):
    print(f"\nEmails the local SMTP server received: {len(delivered)}, saved in {relative(folder)}/")
    print("  (one per owner: the user's OwnerContact tag, named in mailer.yml's contact_tags,")
    print("   plus security_email; exposed-root-keys sends security_email one about the root key;")
    print("   the key lines are the email's table rows)")
    subjects = {mail["message"]["Subject"] for mail in delivered}
    senders = {mail["message"]["From"] for mail in delivered}
    if len(subjects) == 1 and len(senders) == 1:
        print(f"  from:    {senders.pop()}")
        print(f"  subject: {subjects.pop()}")
    heading, lines = key_lines(delivered)
    print(heading)
    shown = None
    for mail, email_lines in zip(delivered, lines):
        message = mail["message"]
        # With several subjects, each one once, above its run of emails.
        if (len(subjects) > 1 or len(senders) > 1) and shown != (message["From"], message["Subject"]):
            shown = (message["From"], message["Subject"])
            print(f"  from {message['From']}, subject: {message['Subject']}")
        print(f"  to {', '.join(mail['rcpt_tos'])}:")
        print("\n".join(email_lines))
    if delivered:
        first = delivered[0]
        print(f"\nThe first email as its reader sees it ({relative(first['path'])}, HTML):")
        for line in mailbox.lines(first["message"]):
            print(textwrap.fill(line, WIDTH, initial_indent="  ", subsequent_indent="      ",
                                break_on_hyphens=False))


def deliver(aws, home, out_dir, expected_keys):
    """Run c7n-mailer over the queue into out_dir/mail/, print what arrived; the problems."""
    folder = Path(out_dir) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    clear(folder)
    with SmtpSink(folder) as smtp:
        config = write_config(smtp, Path(home) / "mailer.yml")
        aws.reset_calls()
        proc = run_mailer(aws, config, home)
        calls = Counter(f"{c['service']}:{c['operation']}" for c in aws.calls())
        delivered = smtp.messages()
    shown = command("mailer.yml")
    shown[shown.index("--templates") + 1] = relative(TEMPLATES)
    print(f"\n$ {shlex.join(['c7n-mailer', *shown])}")
    print(f"  (the stock c7n-mailer; mailer.yml is {relative(EXAMPLE)} with the relay set to")
    print(f"   smtp_server {smtp.host}, smtp_port {smtp.port}: a local SMTP server without TLS "
          "that saves what it receives)")
    print(f"  exit status {proc.returncode}; its AWS calls: "
          + ", ".join(f"{n} {name}" for name, n in sorted(calls.items())))
    print_emails(delivered, folder)
    problems = []
    if proc.returncode:
        problems.append(f"c7n-mailer exited with status {proc.returncode}; its stderr ends:\n"
                        + textwrap.indent("\n".join(proc.stderr.splitlines()[-15:]), "      "))
    if not delivered:
        problems.append("c7n-mailer delivered no email")
    mailed = {row["Access key"] for mail in delivered for row in mailbox.rows(mail["message"])}
    problems += [f"key {key} is in no delivered email" for key in expected_keys if key not in mailed]
    return problems
