"""Read what an SmtpSink wrote: each message's envelope, the parsed message, and the text a
reader sees in its HTML body, line by line."""

import email
import email.policy
import json
from html.parser import HTMLParser
from pathlib import Path

# Tags that start a new line of text, and tags whose text no reader sees.
BLOCKS = {"h1", "h2", "h3", "h4", "p", "li", "br", "div", "table", "ol", "ul"}
HIDDEN = {"head", "style", "script"}
SEPARATOR = " | "


def delivered(folder):
    """The messages in `folder`, oldest first: dicts with mail_from, rcpt_tos, message
    (an email.message.EmailMessage) and path."""
    found = []
    for path in sorted(Path(folder).glob("*.eml")):
        envelope = json.loads(path.with_suffix(".json").read_text())
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found.append(dict(envelope, message=message, path=path))
    return found


class Row(list):
    """A table row's cells; `heading` when they are all <th>."""
    heading = False


class _Blocks(HTMLParser):
    """Visible text, one string per block, and a Row per table row."""

    def __init__(self):
        super().__init__()
        self.blocks, self.text, self.row, self.tags = [], [], None, []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1
        elif tag == "tr":
            self.flush()
            self.row, self.tags = Row(), []
        elif tag in ("td", "th") and self.row is not None:
            self.text = []
            self.tags.append(tag)
        elif tag in BLOCKS and self.row is None:
            self.flush()

    def handle_endtag(self, tag):
        if tag in HIDDEN:
            self.hidden -= 1
        elif tag in ("td", "th") and self.row is not None:
            self.row.append(self.joined())
            self.text = []
        elif tag == "tr" and self.row is not None:
            self.row.heading = bool(self.tags) and set(self.tags) == {"th"}
            self.blocks.append(self.row)
            self.row = None
        elif tag in BLOCKS and self.row is None:
            self.flush()

    def handle_data(self, data):
        if not self.hidden:
            self.text.append(data)

    def joined(self):
        return " ".join("".join(self.text).split())

    def flush(self):
        if self.joined():
            self.blocks.append(self.joined())
        self.text = []


def blocks(html):
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    parser.flush()
    return parser.blocks


def lines(message):
    """The HTML body's visible text by lines; a table row's cells are joined with ' | '."""
    return [SEPARATOR.join(b) if isinstance(b, Row) else b for b in blocks(message.get_content())]


def rows(message):
    """Every table row under a heading row, as {heading: cell}; rows that do not have a cell
    per heading (a note spanning the table) are left out."""
    found, headings = [], None
    for block in blocks(message.get_content()):
        if not isinstance(block, Row):
            continue
        if block.heading:
            headings = block
        elif headings is not None and len(block) == len(headings):
            found.append(dict(zip(headings, block)))
    return found
