"""``pressroom report``: a month's figures as text for a terminal (``--csv`` gives web.report_csv's)."""
from __future__ import annotations

from pressroom.domain.reports import NO_LINE, OUTCOMES, MonthReport, duration
from pressroom.domain.schedule import london


def as_text(report: MonthReport) -> str:
    covers = "the whole month" if report.complete else f"up to {london(report.until)}"
    lines = [f"Pressroom report: {report.month.label} ({covers})", "", "Photos"]
    lines += [f"  {what.replace('_', ' '):<12} {report.counts[what]:>5}" for what in OUTCOMES]
    if report.blocked_by:
        lines += ["", "Blocked, by guidance line"]
        for blocked in report.blocked_by:
            words = blocked.line.guidance if blocked.line.rule != NO_LINE else "the automatic checks could not run"
            lines.append(f"  {blocked.photos:>5}  {blocked.line.rule or 'no guidance line'}: {words}")
    waited = ("no photo published" if report.to_publish is None
              else f"{duration(report.to_publish)} (median of {report.to_publish_photos})")
    lines += ["", f"Upload to publish: {waited}", "", "Comments, by class"]
    lines += [f"  {kind:<16} {n:>5}" for kind, n in report.comments.items()]
    answered = report.responses
    if answered is None:
        lines.append("Response times: not recorded (the comment inbox records them)")
    elif answered.share_within_target is None:
        lines.append("Response times: no comment answered")
    else:
        lines.append(f"Response times: {duration(answered.median)} median in office hours; "
                     f"{answered.within_target} of {answered.answered} within the target "
                     f"({answered.share_within_target:.0%})")
    days = ", ".join(str(day.day) for day in report.stale_days) or "none"
    lines += ["", f"Stale days ({report.stale_after_days} days without a publish): "
                  f"{len(report.stale_days)} of {len(report.days)}: {days}"]
    return "\n".join(lines) + "\n"
