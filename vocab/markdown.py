"""Names shown as text, never as Markdown: file, folder, processor and user names come from outside (a transfer job
names the inbox folders, a processor names its files), and Streamlit renders Markdown in st.markdown, captions,
labels and messages. A folder named ``[invoice](https:evil.example)`` must not become a live link (issue 18, item 6).

Here, at the bottom, because every layer that composes a sentence for a page needs it (metrics' attention
sentences, the pages themselves); app/text.py re-exports it for the pages.
"""

from __future__ import annotations

import re

# CommonMark (spec 0.31, §2.4) lets any ASCII punctuation be backslash-escaped; these are the characters that start
# inline syntax in Streamlit's renderer (CommonMark with GitHub's extensions and $…$ for LaTeX): emphasis, code,
# links and images, raw HTML, strikethrough, tables, maths. Others (. - ( ) @ …) stay as they are, so a name such as
# belcall_2026-10.csv keeps its look in the page's source too.
_INLINE = re.compile(r"([\\`*\[\]<>~$|!])")
_WORD_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")  # intraword _ is no emphasis (§6.2)
_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")  # a heading, quote, list or setext line at the start
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|mailto)(:)|\b(www)(\.)")  # GitHub's bare-URL links


def literal(name: object) -> str:
    """Return `name` as Markdown that renders exactly as its text (line breaks become spaces)."""
    text = " ".join(str(name).split())
    text = _INLINE.sub(r"\\\1", text)
    text = _WORD_EDGE_UNDERSCORE.sub(r"\\_", text)
    text = _AUTOLINK.sub(lambda m: f"{m[1]}\\:" if m[1] else f"{m[3]}\\.", text)
    return _BLOCK_START.sub(lambda m: m[1] + "".join(f"\\{c}" if not c.isdigit() else c for c in m[2]), text)
