"""Reports of build records: one self-contained HTML page (``html.py``) or Markdown for CI summaries (``markdown.py``)."""
