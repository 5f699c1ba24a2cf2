"""Printing a model beside the ABC baseline: a table and a text chart (commands, benchmarks)."""

ROWS = (
    ("n", "rows", "{:,.0f}"),
    ("positives", "positives", "{:,.0f}"),
    ("base_rate", "base rate", "{:.3f}"),
    ("auc_roc", "AUC", "{:.3f}"),
    ("precision_at_k.k5", "precision top 5%", "{:.3f}"),
    ("precision_at_k.k10", "precision top 10%", "{:.3f}"),
    ("precision_at_k.k20", "precision top 20%", "{:.3f}"),
    ("recall_at_k.k5", "recall top 5%", "{:.3f}"),
    ("recall_at_k.k10", "recall top 10%", "{:.3f}"),
    ("recall_at_k.k20", "recall top 20%", "{:.3f}"),
    ("brier_score", "Brier score", "{:.4f}"),
    ("ece", "calibration error (ECE)", "{:.4f}"),
)


def _get(metrics: dict, path: str):
    for key in path.split("."):
        metrics = (metrics or {}).get(key)
    return metrics


def _cell(value, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def comparison(columns: dict[str, dict]) -> str:
    """A table with one column per model (name: metrics) and one row per number."""
    names = list(columns)
    width = max(12, *(len(n) for n in names))
    lines = [f"{'':<24}" + "".join(f"{n:>{width + 2}}" for n in names)]
    for path, label, fmt in ROWS:
        cells = [_cell(_get(columns[n], path), fmt) for n in names]
        if any(c != "-" for c in cells):
            lines.append(f"{label:<24}" + "".join(f"{c:>{width + 2}}" for c in cells))
    return "\n".join(lines)


def bars(title: str, values: dict[str, float | None], width: int = 40) -> str:
    """A horizontal bar chart of values between 0 and 1."""
    label_width = max(map(len, values))
    lines = [title]
    for label, value in values.items():
        bar = "-" if value is None else "█" * max(1, round(width * value))
        shown = "-" if value is None else f"{value:.3f}"
        lines.append(f"  {label:<{label_width}} {bar} {shown}")
    return "\n".join(lines)


def fairness_summary(fairness: dict) -> str:
    """The disparities found, one line each; or that there were none."""
    lines = []
    for attribute, rows in (fairness or {}).items():
        for row in rows:
            if row.get("flagged"):
                ratios = ", ".join(f"{r} ratio {row['ratios'][r]}" for r in row["flagged"])
                lines.append(f"  {attribute} = {row['group']} (n={row['n']}): {ratios}")
    return "\n".join(
        ["Fairness: disparities outside 0.8-1.25:", *lines]
        if lines
        else ["Fairness: no disparity outside 0.8-1.25 among groups of 30 or more."]
    )


def grade_band_table(by_band: dict | None) -> str:
    """Per grade band: rows, positives, AUC and precision in the top 10% of the learned model and
    the ABC rules; a band resting on fewer than FEW_POSITIVES positives is marked."""
    from mlmodels.metrics import FEW_POSITIVES

    if not by_band:
        return "By grade band: no band recorded."
    lines = [
        "By grade band (grade on the as-of date):",
        f"  {'band':<6}{'rows':>9}{'positives':>11}{'AUC model':>11}{'AUC rules':>11}"
        f"{'top10% model':>14}{'top10% rules':>14}",
    ]
    for band, both in by_band.items():
        learned, rules = both["learned"], both["baseline"]
        few = " (fewer than 30 positives)" if learned["positives"] < FEW_POSITIVES else ""
        lines.append(
            f"  {band:<6}{learned['n']:>9,}{learned['positives']:>11,}"
            f"{_cell(learned['auc_roc'], '{:.3f}'):>11}{_cell(rules['auc_roc'], '{:.3f}'):>11}"
            f"{_cell(_get(learned, 'precision_at_k.k10'), '{:.3f}'):>14}"
            f"{_cell(_get(rules, 'precision_at_k.k10'), '{:.3f}'):>14}{few}"
        )
    return "\n".join(lines)
