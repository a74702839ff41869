"""The FSRS rating of an attempt, read from its verdict (never asked of the candidate).

SQL is rated on correctness, hints and time; cases and estimates on their score band above the pass mark.
"""

from __future__ import annotations

from pmdrill.core.coach.records import Attempt

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4        # fsrs.Rating values, kept as plain ints for JSON
RATING_NAMES: dict[int, str] = {AGAIN: "Again", HARD: "Hard", GOOD: "Good", EASY: "Easy"}
SLOW_FACTOR = 1.5                           # slower than 1.5x the expected time reads as a struggle
FAST_FACTOR = 0.6                           # within 0.6x on the first try: the item is known cold
HARD_BAND, GOOD_BAND = 10.0, 25.0           # points above the pass mark that separate Hard/Good/Easy


def rate(attempt: Attempt, *, expected_minutes: float, first_try: bool,
         pass_mark: float = 60.0) -> tuple[int, str]:
    """The FSRS rating (1 Again, 2 Hard, 3 Good, 4 Easy) of one attempt and a short reason.

    SQL: wrong is Again; right after hints or slowly (over 1.5x the expected time) is Hard; right on the
    first try within 0.6x the expected time is Easy; otherwise Good. An unknown time is neither fast nor
    slow. Cases and estimates: by score band against the case's own pass mark (``detail["pass_mark"]``).

    Example:
        >>> import datetime as dt
        >>> t = dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc)
        >>> a = Attempt("sql:q1", "sql", "Q1", "SELECT 1", True, 100.0, t, seconds=120.0)
        >>> rate(a, expected_minutes=5, first_try=True)
        (4, 'right on the first try in 2 min (expected 5)')
        >>> rate(Attempt("case:c", "case", "C", "...", True, 72.0, t), expected_minutes=15, first_try=True)
        (3, 'scored 72/100 (pass mark 60)')
    """
    if attempt.kind == "sql":
        return _rate_sql(attempt, expected_minutes=expected_minutes, first_try=first_try)
    mark = float(attempt.detail.get("pass_mark", pass_mark))
    score = float(attempt.score)
    band = f"scored {score:.0f}/100 (pass mark {mark:.0f})"
    if score < mark:
        return AGAIN, band
    if score < mark + HARD_BAND:
        return HARD, band
    if score < mark + GOOD_BAND:
        return GOOD, band
    return EASY, band


def _rate_sql(attempt: Attempt, *, expected_minutes: float, first_try: bool) -> tuple[int, str]:
    if not attempt.passed:
        return AGAIN, "wrong answer"
    expected_s = max(1.0, expected_minutes * 60.0)
    seconds = attempt.seconds
    if attempt.hints_used > 0:
        plural = "s" if attempt.hints_used != 1 else ""
        return HARD, f"right after {attempt.hints_used} hint{plural}"
    if seconds is not None and seconds > SLOW_FACTOR * expected_s:
        return HARD, f"right but slow: {_minutes(seconds)} min (expected {expected_minutes:g})"
    if first_try and seconds is not None and seconds <= FAST_FACTOR * expected_s:
        return EASY, f"right on the first try in {_minutes(seconds)} min (expected {expected_minutes:g})"
    return GOOD, "right on the first try" if first_try else "right"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60.0:.0f}" if seconds >= 60 else f"{seconds / 60.0:.1f}"


def rate_dimension(score_0_100: float) -> int:
    """The rating of a skill card from one committee-dimension score: <50 Again, <65 Hard, <80 Good, Easy.

    Example:
        >>> [rate_dimension(s) for s in (42, 50, 64.9, 79, 80)]
        [1, 2, 2, 3, 4]
    """
    if score_0_100 < 50:
        return AGAIN
    if score_0_100 < 65:
        return HARD
    if score_0_100 < 80:
        return GOOD
    return EASY
