"""Text renderings of results for the terminal (Chinese first, English beside it)."""

from __future__ import annotations

from livelens.information.analysis import Analysis
from livelens.information.ticker import MinuteSummary
from livelens.ingest import IngestReport


def render_report(report: IngestReport) -> str:
    lines = [f"accepted     {report.accepted:>10,}", f"duplicates   {report.duplicates:>10,}"]
    lines.append(f"quarantined  {report.quarantined_total:>10,}")
    lines.extend(f"  {reason:<22} {n:>8,}" for reason, n in sorted(report.quarantined.items()))
    if report.sessions:
        lines.append("sessions     " + ", ".join(report.sessions))
    return "\n".join(lines)


def render_analysis(analysis: Analysis) -> str:
    metrics, totals = analysis.metrics, analysis.metrics.totals
    lines = [
        f"场次 session {analysis.session_id}  room {metrics.room_id} ({metrics.platform})  "
        f"{metrics.started_at:%Y-%m-%d %H:%M}–{metrics.ended_at:%H:%M} UTC, {metrics.minutes} min",
        f"  观众 viewers {totals.unique_viewers:,}  峰值在线 peak online {totals.peak_online:,}  "
        f"评论 comments {totals.comments:,}  点赞 likes {totals.likes:,}",
    ]
    if totals.gmv_minor is not None:
        lines.append(
            f"  GMV ¥{totals.gmv_minor / 100:,.2f}  订单 orders {totals.orders:,}  "
            f"CTR {totals.ctr or 0:.1%}  GPM ¥{(totals.gpm_minor or 0) / 100:,.2f}  "
            f"UV价值 ¥{(totals.uv_value_minor or 0) / 100:,.2f}"
        )
    for group, why in metrics.unavailable.items():
        lines.append(f"  {group}: not available — {why}")
    lines.append("洞察 insights:")
    lines.extend(f"  [{i.kind}] {i.text_zh}\n      {i.text_en}" for i in analysis.insights)
    return "\n".join(lines)


def render_minute(summary: MinuteSummary) -> str:
    reported = f" (平台 {summary.online_reported:,})" if summary.online_reported else ""
    return (
        f"[{summary.session_id}] {summary.starts_at:%H:%M}Z 第{summary.minute}分钟  "
        f"在线 {summary.online:,}{reported}  进 {summary.entries:,} 出 {summary.exits:,}  "
        f"评论 {summary.comments:,}  点赞 {summary.likes:,}  点击 {summary.clicks:,}  "
        f"订单 {summary.orders:,}  GMV ¥{summary.gmv_minor / 100:,.2f}"
    )
