"""The committee debrief as one self-contained HTML page: inline CSS, no script, no URL, fine on a phone or paper.

Pure string building from ``Debrief.to_dict()``; every piece of text that came from an answer or a bank is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from typing import Any

from pmdrill.core.coach.debrief import TITLE_OF, Debrief

# the verdict decides the page's accent colour; unknown verdicts fall back to a neutral one
_VERDICT_CLASS = {"strong_hire": "v-strong-hire", "hire": "v-hire", "no_hire": "v-no-hire",
                  "strong_no_hire": "v-strong-no-hire"}

_CSS = """
:root { --ink: #1d2430; --muted: #5b6473; --line: #dde2ea; --paper: #ffffff; --wash: #f5f7fa;
  --accent: #5b6473; --accent-wash: #eef1f5; --good: #1f7a4d; --bad: #b3261e; --warn: #a15c00; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--wash); color: var(--ink);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
section, header.verdict { background: var(--paper); border: 1px solid var(--line); border-radius: 12px;
  padding: 1rem 1.25rem; margin: 0 0 1rem; }
h1, h2, h3 { line-height: 1.2; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; }
h3 { font-size: 1rem; }
ul { margin: 0; padding-left: 1.2rem; }
li { margin: .25rem 0; }
.eyebrow { margin: 0 0 .25rem; color: var(--muted); font-size: .85rem; letter-spacing: .02em; }
header.verdict { border-left: 8px solid var(--accent); background: var(--accent-wash);
  display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: .5rem 1.5rem; }
header.verdict h1 { font-size: 2.2rem; color: var(--accent); margin: 0; }
.score { font-size: 2.2rem; font-weight: 700; margin: 0; font-variant-numeric: tabular-nums; }
.score small { font-size: 1rem; color: var(--muted); font-weight: 400; }
.v-strong-hire { --accent: #146c43; --accent-wash: #e3f4ea; }
.v-hire { --accent: #2f7d32; --accent-wash: #edf7ee; }
.v-no-hire { --accent: #a15c00; --accent-wash: #fdf3e4; }
.v-strong-no-hire { --accent: #b3261e; --accent-wash: #fcebea; }
.flips h3 { margin-top: .6rem; font-size: .95rem; color: var(--muted); }
.flips li { list-style: none; margin-left: -1.2rem; padding-left: 1.6rem; position: relative; }
.flips li::before { position: absolute; left: 0; font-weight: 700; }
.flips li.up::before { content: "\\2191"; color: var(--good); }
.flips li.down::before { content: "\\2193"; color: var(--bad); }
.dim { padding: .6rem 0; border-top: 1px solid var(--line); }
.dim:first-of-type { border-top: 0; }
.dim-head { display: flex; justify-content: space-between; gap: 1rem; font-weight: 600; }
.dim-head .num { font-variant-numeric: tabular-nums; }
.track { height: .6rem; background: var(--wash); border: 1px solid var(--line); border-radius: 99px;
  overflow: hidden; margin: .3rem 0; }
.fill { height: 100%; background: var(--accent); border-radius: 99px;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.fill.low { background: var(--bad); }
.fill.mid { background: var(--warn); }
.fill.high { background: var(--good); }
.unmeasured { color: var(--muted); font-style: italic; font-weight: 400; }
blockquote { margin: .35rem 0; padding: .3rem .75rem; border-left: 3px solid var(--line); color: var(--ink);
  background: var(--wash); border-radius: 0 6px 6px 0; overflow-wrap: anywhere; }
blockquote footer { color: var(--muted); font-size: .8rem; }
.flag { border-left: 4px solid var(--bad); padding: .4rem .75rem; margin: .5rem 0; background: #fff7f6; }
.flag code { font-weight: 700; }
article.q { border-top: 1px solid var(--line); padding: .75rem 0; }
article.q:first-of-type { border-top: 0; }
.meta { display: flex; flex-wrap: wrap; gap: .35rem .9rem; color: var(--muted); font-size: .9rem; margin: .2rem 0 .4rem; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 99px; font-size: .8rem; font-weight: 700; }
.badge.passed { background: #e3f4ea; color: var(--good); }
.badge.failed { background: #fcebea; color: var(--bad); }
.badge.unanswered { background: var(--wash); color: var(--muted); border: 1px solid var(--line); }
.over { color: var(--bad); font-weight: 600; }
details { margin: .35rem 0; border: 1px solid var(--line); border-radius: 8px; padding: .35rem .75rem; }
summary { cursor: pointer; font-weight: 600; }
pre.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: .5rem 0 0;
  font: .9rem/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.muted { color: var(--muted); }
footer.page { color: var(--muted); font-size: .8rem; text-align: center; margin: 1rem 0 2rem; }
@media (max-width: 30rem) {
  main { padding: .5rem; }
  section, header.verdict { padding: .8rem; border-radius: 8px; }
  header.verdict h1, .score { font-size: 1.7rem; }
}
@media print {
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  section, header.verdict { border: 0; border-radius: 0; padding: .4rem 0; break-inside: avoid-page; }
  article.q, .dim, .flag { break-inside: avoid; }
  details { border: 0; padding: 0; }
  details::details-content { content-visibility: visible; display: block; }
  summary { list-style: none; }
}
"""


def render_html(debrief: Debrief | Mapping[str, Any]) -> str:
    """A complete HTML5 page of the debrief; opens from disk with no network and prints cleanly.

    Example:
        >>> page = render_html({"verdict": "hire", "verdict_title": "Hire", "score": 71.0,
        ...                     "reasons": ["<b>bold</b> claim"], "mock": {"focus": "mixed", "minutes": 45}})
        >>> page.startswith("<!DOCTYPE html>"), "&lt;b&gt;bold&lt;/b&gt; claim" in page, "<script" in page
        (True, True, False)
    """
    data: Mapping[str, Any] = debrief.to_dict() if isinstance(debrief, Debrief) else debrief
    verdict = str(data.get("verdict", ""))
    title = str(data.get("verdict_title") or TITLE_OF.get(verdict, verdict or "Debrief"))
    score = _num(data.get("score"))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Mock debrief: {_e(title)}, {_e(_fmt(score))}/100</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        f'<body class="{_VERDICT_CLASS.get(verdict, "v-unknown")}">',
        "<main>",
        _header(data, title, score),
        _list_section("Why", data.get("reasons", []), "reasons"),
        _flips(data),
        _dimensions(data.get("dimensions", [])),
        _red_flags(data.get("red_flags", [])),
        _questions(data.get("questions", [])),
        _time(data.get("time", {})),
        '<footer class="page">Made offline by pmdrill from the debrief of this mock round.</footer>',
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _header(data: Mapping[str, Any], title: str, score: float | None) -> str:
    mock = data.get("mock", {}) or {}
    bits = ["Mock debrief"]
    if mock.get("focus"):
        bits.append(str(mock["focus"]))
    if mock.get("minutes"):
        bits.append(f"{mock['minutes']} min")
    when = _date(mock.get("started_at"))
    if when:
        bits.append(when)
    if mock.get("uid"):
        bits.append(str(mock["uid"]))
    shown = _fmt(score) if score is not None else "–"
    return (f'<header class="verdict {_VERDICT_CLASS.get(str(data.get("verdict")), "v-unknown")}">'
            f'<div><p class="eyebrow">{_e(" · ".join(bits))}</p><h1>{_e(title)}</h1></div>'
            f'<p class="score">{_e(shown)}<small>/100 overall</small></p></header>')


def _list_section(heading: str, items: Sequence[Any], css: str) -> str:
    if not items:
        return ""
    rows = "".join(f"<li>{_e(item)}</li>" for item in items)
    return f'<section class="{css}"><h2>{_e(heading)}</h2><ul>{rows}</ul></section>'


def _flips(data: Mapping[str, Any]) -> str:
    sentences = list(data.get("flip", []) or [])
    if not sentences:
        return ""
    changes = list(data.get("flip_changes", []) or [])
    groups: dict[str, list[str]] = {"up": [], "down": [], "": []}
    for i, sentence in enumerate(sentences):
        direction = str(changes[i].get("direction", "")) if i < len(changes) else ""
        groups["up" if direction == "up" else "down" if direction == "down" else ""].append(sentence)
    headings = {"up": "What would have raised it", "down": "What would have lowered it", "": "Other changes"}
    blocks = []
    for key, items in groups.items():
        if items:
            rows = "".join(f'<li class="{key}">{_e(s)}</li>' for s in items)
            blocks.append(f"<h3>{headings[key]}</h3><ul>{rows}</ul>")
    return f'<section class="flips"><h2>What would have changed the verdict</h2>{"".join(blocks)}</section>'


def _dimensions(dims: Sequence[Mapping[str, Any]]) -> str:
    if not dims:
        return ""
    blocks = []
    for d in dims:
        value = _num(d.get("score"))
        if value is None:
            head = '<span class="num unmeasured">not measured</span>'
            bar = ""
        else:
            level = "high" if value >= 65 else ("mid" if value >= 45 else "low")
            width = max(0.0, min(100.0, value))
            head = f'<span class="num">{_e(_fmt(value))}</span>'
            bar = (f'<div class="track" role="img" aria-label="{_e(_fmt(value))} out of 100">'
                   f'<div class="fill {level}" style="width: {width:.1f}%"></div></div>')
        quotes = []
        for ev in d.get("evidence", []) or []:
            source = str(ev.get("item_id", ""))
            extra = ev.get("verdict") or ev.get("concept")
            cite = f"{source}: {extra}" if extra else source
            quotes.append(f"<blockquote>{_e(ev.get('quote', ''))}<footer>{_e(cite)}</footer></blockquote>")
        blocks.append(f'<div class="dim"><div class="dim-head"><span>{_e(d.get("title") or d.get("name"))}</span>'
                      f'{head}</div>{bar}{"".join(quotes)}</div>')
    return f'<section class="dimensions"><h2>The seven dimensions</h2>{"".join(blocks)}</section>'


def _red_flags(flags: Sequence[Mapping[str, Any]]) -> str:
    if not flags:
        return '<section class="red-flags"><h2>Red flags</h2><p class="muted">None raised.</p></section>'
    rows = []
    for f in flags:
        evidence = f.get("evidence")
        said = f"<blockquote>{_e(evidence)}</blockquote>" if evidence else ""
        rows.append(f'<div class="flag"><code>{_e(f.get("code", ""))}</code> on {_e(f.get("item_id", ""))}: '
                    f'{_e(f.get("message", ""))}{said}</div>')
    return f'<section class="red-flags"><h2>Red flags ({len(flags)})</h2>{"".join(rows)}</section>'


def _questions(questions: Sequence[Mapping[str, Any]]) -> str:
    if not questions:
        return ""
    rows = []
    for n, q in enumerate(questions, start=1):
        if not q.get("answered"):
            state = "unanswered"
        else:
            state = "passed" if q.get("passed") else "failed"
        meta = [f'<span class="badge {state}">{state}</span>', f"<span>{_e(q.get('slot', ''))}</span>"]
        score = _num(q.get("score"))
        if score is not None:
            mark = _num(q.get("pass_mark"))
            meta.append(f"<span>score {_e(_fmt(score))}"
                        + (f" (pass mark {_e(_fmt(mark))})" if mark is not None else "") + "</span>")
        seconds = _num(q.get("seconds"))
        budget = _num(q.get("minutes"))
        if seconds is not None or budget is not None:
            used = _clock(seconds) if seconds is not None else "time not recorded"
            allowed = f" of {_clock(budget * 60)}" if budget is not None else ""
            over = seconds is not None and budget is not None and seconds > budget * 60
            css = ' class="over"' if over else ""
            meta.append(f"<span{css}>{_e(used + allowed)}</span>")
        body = []
        if q.get("answer"):
            body.append(f"<details><summary>Your answer</summary><pre class=\"text\">{_e(q['answer'])}</pre>"
                        "</details>")
        if q.get("model_answer"):
            body.append(f"<details><summary>Model answer</summary><pre class=\"text\">{_e(q['model_answer'])}"
                        "</pre></details>")
        rows.append(f'<article class="q"><h3>{n}. {_e(q.get("title") or q.get("id"))} '
                    f'<span class="muted">{_e(q.get("id", ""))}</span></h3>'
                    f'<div class="meta">{"".join(meta)}</div>{"".join(body)}</article>')
    return f'<section class="questions"><h2>Questions</h2>{"".join(rows)}</section>'


def _time(time: Mapping[str, Any]) -> str:
    allowed = _num(time.get("allowed_s"))
    used = _num(time.get("used_s"))
    if not allowed or used is None:
        return ""
    over = _num(time.get("over_s")) or 0.0
    share = max(0.0, min(100.0, 100.0 * used / allowed))
    note = (f' <span class="over">{_e(_clock(over))} over: reported, not scored.</span>' if over > 0 else "")
    return ('<section class="time"><h2>Time</h2>'
            f"<p>Used {_e(_clock(used))} of {_e(_clock(allowed))}.{note}</p>"
            f'<div class="track" role="img" aria-label="{share:.0f}% of the time allowed">'
            f'<div class="fill {"low" if over > 0 else "high"}" style="width: {share:.1f}%"></div></div></section>')


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{round(value, 1):g}"


def _clock(seconds: float) -> str:
    """Minutes and seconds, as a stopwatch shows them.

    Example:
        >>> _clock(754), _clock(3725)
        ('12:34', '62:05')
    """
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def _date(value: Any) -> str:
    if not value:
        return ""
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    return f"{when.day} {when:%b %Y}"
