"""localaws/smtp.py's SMTP server and mailbox.py's reader, through the standard smtplib client."""
import smtplib
from email.message import EmailMessage

import pytest

from localaws import mailbox
from localaws.smtp import SmtpSink


def html_email(body):
    message = EmailMessage()
    message['Subject'] = 'Exposed keys'
    message['From'] = 'custodian@example.com'
    message['To'] = 'alice@example.com'
    message.set_content(body, subtype='html')
    return message


def test_every_message_is_saved_with_its_envelope(tmp_path):
    with SmtpSink(tmp_path) as smtp:
        assert smtp.host == '127.0.0.1' and smtp.port > 0
        with smtplib.SMTP(smtp.host, smtp.port) as client:
            # security@ only in the envelope, as a Bcc would be
            client.sendmail('custodian@example.com', ['alice@example.com', 'security@example.com'],
                            html_email('<p>one</p>').as_string())
            client.send_message(html_email('<p>two</p>'))
        [first, second] = smtp.messages()
    assert first['mail_from'] == 'custodian@example.com'
    assert first['rcpt_tos'] == ['alice@example.com', 'security@example.com']
    assert first['message']['To'] == 'alice@example.com'
    assert mailbox.lines(first['message']) == ['one']
    assert second['rcpt_tos'] == ['alice@example.com']
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        '0001.eml', '0001.json', '0002.eml', '0002.json']


def test_the_server_is_gone_after_stop(tmp_path):
    with SmtpSink(tmp_path) as smtp:
        port = smtp.port
    with pytest.raises(OSError):
        smtplib.SMTP('127.0.0.1', port, timeout=2)


def test_text_and_rows_of_an_html_body():
    message = html_email(
        '<html><head><title>hidden</title><style>p {}</style></head><body>'
        '<h2>Exposed <b>keys</b></h2><table>'
        '<tr><th>Access key</th><th>Outcome</th></tr>'
        '<tr><td>AKIAIOSFODNN7EXAMPLE</td><td>Deactivated\n (now Inactive)</td></tr>'
        '<tr><td colspan="2">a note</td></tr>'
        '<tr><td>(no key id)</td><td></td></tr></table>'
        '<ol><li>Rotate &amp; check</li></ol></body></html>')
    assert mailbox.lines(message) == [
        'Exposed keys', 'Access key | Outcome',
        'AKIAIOSFODNN7EXAMPLE | Deactivated (now Inactive)', 'a note', '(no key id) | ',
        'Rotate & check']
    assert mailbox.rows(message) == [
        {'Access key': 'AKIAIOSFODNN7EXAMPLE', 'Outcome': 'Deactivated (now Inactive)'},
        {'Access key': '(no key id)', 'Outcome': ''}]
