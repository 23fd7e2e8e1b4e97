"""``crossfade schema check``: may this schema replace the base?

It lists the breaking, dangerous and safe changes; re-validates the stakeholders' operations
and the trusted-documents manifest against the new schema; and, for each breaking change,
names the clients and operations that used what it breaks within the window. The rule: a
breaking change passes only when nobody used it for the window, and a field, argument or enum
value goes away only after the base marked it @deprecated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from graphql import GraphQLSchema, parse, validate

from gateway.governance.manifest import ManifestError, load_manifest, split_operations
from gateway.schema_checks.schema_changes import Change, schema_changes
from gateway.usage.usage_report import client_label, table
from gateway.usage.usage_store import UsageTotal, UsageWindow, hour_label


@dataclass(frozen=True, slots=True)
class InvalidOperation:
    origin: str  # the file, or the manifest
    name: str
    message: str


@dataclass(slots=True)
class Verdict:
    change: Change
    uses: list[UsageTotal] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why it blocks; empty: it passes


@dataclass(slots=True)
class CheckResult:
    base_label: str
    new_label: str
    days: int
    window: UsageWindow | None
    changes: list[Change]
    verdicts: list[Verdict]
    operations_checked: int
    invalid: list[InvalidOperation]
    manifest: str | None  # the manifest checked, if any

    @property
    def blocked(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.reasons]

    @property
    def exit_code(self) -> int:
        return 1 if self.blocked or self.invalid else 0


def validate_operations(
    schema: GraphQLSchema, files: list[Path], manifest: Path | None
) -> tuple[int, list[InvalidOperation]]:
    """How many operations were checked, and those that no longer validate."""
    checked = 0
    invalid: list[InvalidOperation] = []
    for path in files:
        try:
            operations = split_operations(path.read_text(), origin=path.name)
        except (OSError, ManifestError) as exc:
            invalid.append(InvalidOperation(path.name, "-", str(exc)))
            continue
        for op in operations:
            checked += 1
            errors = validate(schema, parse(op.body))
            if errors:
                invalid.append(InvalidOperation(path.name, op.name, errors[0].message))
    if manifest is not None:
        try:
            documents = load_manifest(manifest)
        except ManifestError as exc:
            invalid.append(InvalidOperation(str(manifest), "-", str(exc)))
            documents = {}
        for op_id, body in documents.items():
            checked += 1
            errors = validate(schema, parse(body))
            if errors:
                name = next((o.name for o in split_operations(body, origin=op_id)), op_id[:12])
                invalid.append(InvalidOperation(manifest.name, name, errors[0].message))
    return checked, invalid


def judge(change: Change, window: UsageWindow | None, days: int) -> Verdict:
    verdict = Verdict(change)
    if window is not None:
        verdict.uses = [t for t in window.totals if change.touches(t.coordinate)]
    if verdict.uses:
        verdict.reasons.append(f"in use within the last {days} days")
    if change.removes_undeprecated:
        verdict.reasons.append(
            f"not @deprecated in the base: deprecate it first, remove it once unused for "
            f"{days} days"
        )
    if change.tracked is None:
        verdict.reasons.append("could not tell which fields it touches")
    return verdict


def run_check(
    base: GraphQLSchema,
    new: GraphQLSchema,
    *,
    base_label: str,
    new_label: str,
    window: UsageWindow | None,
    days: int,
    operation_files: list[Path],
    manifest: Path | None,
) -> CheckResult:
    changes = schema_changes(base, new)
    checked, invalid = validate_operations(new, operation_files, manifest)
    return CheckResult(
        base_label=base_label,
        new_label=new_label,
        days=days,
        window=window,
        changes=changes,
        verdicts=[judge(c, window, days) for c in changes if c.kind == "breaking"],
        operations_checked=checked,
        invalid=invalid,
        manifest=str(manifest) if manifest else None,
    )


def _uses_lines(uses: list[UsageTotal]) -> list[str]:
    """Per client and operation: requests and last use, most used first."""
    sums: dict[tuple[str, str], list[int]] = {}
    for use in uses:
        key = (client_label(use.client, use.version), use.operation or "(anonymous)")
        entry = sums.setdefault(key, [0, 0])
        entry[0] += use.count
        entry[1] = max(entry[1], use.last_hour)
    rows = [
        (client, operation, f"{count:,}", hour_label(last))
        for (client, operation), (count, last) in sorted(
            sums.items(), key=lambda item: (-item[1][0], item[0])
        )
    ]
    return table(("client", "operation", "requests", "last used (UTC)"), rows, {2})


def render(result: CheckResult) -> str:
    out = [f"Schema check: {result.new_label} against {result.base_label}"]
    if result.window is None or not result.window.exists:
        where = f" ({result.window.source})" if result.window is not None else ""
        out.append(
            f"Usage: none recorded here{where}; breaking changes are judged on deprecation alone"
        )
    else:
        out.append(f"Usage: the last {result.days} days, from {result.window.source}")
    out.append("")
    out.append(f"Breaking changes ({len(result.verdicts)}):")
    for verdict in result.verdicts:
        change = verdict.change
        mark = "BLOCKS" if verdict.reasons else "passes"
        out.append(f"  {mark}  {change.type}: {change.description}")
        if verdict.uses:
            out.append(f"      in use within the last {result.days} days by:")
            out += ["        " + line for line in _uses_lines(verdict.uses)]
        for reason in verdict.reasons:
            if not reason.startswith("in use"):
                out.append(f"      {reason}")
        if not verdict.reasons:
            if change.tracked is False:
                out.append("      directives in operations are not counted: usage unknown")
            else:
                deprecated = "deprecated in the base, " if change.type.endswith("REMOVED") else ""
                out.append(f"      {deprecated}unused within the last {result.days} days")
    for kind in ("dangerous", "safe"):
        listed = [c for c in result.changes if c.kind == kind]
        out.append("")
        out.append(f"{kind.capitalize()} changes ({len(listed)}):")
        out += [f"  {c.type}: {c.description}" for c in listed]
    out.append("")
    manifest = f" and {result.manifest}" if result.manifest else ""
    out.append(
        f"Operations: {result.operations_checked} checked (stakeholder operations{manifest}), "
        f"{len(result.invalid)} no longer valid"
    )
    out += [f"  {i.origin}: {i.name}: {i.message}" for i in result.invalid]
    if result.exit_code:
        out.append(
            f"FAIL: {len(result.blocked)} breaking change(s) blocked, "
            f"{len(result.invalid)} operation(s) invalid"
        )
    else:
        out.append("OK: no breaking change in use, every operation valid")
    return "\n".join(out)
