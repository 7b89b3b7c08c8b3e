"""Audit the installed environment for known vulnerabilities (pip-audit, PyPI's service).

Fails (exit 1) on any finding not in .pip-audit-ignore. When the service cannot be reached, or
answers for none of the packages (nothing was audited), prints a loud WARNING and exits 0: the
build goes on offline, and the warning says the audit did not happen. Run by `make audit`."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = ROOT / ".pip-audit-ignore"


def ignored() -> dict[str, str]:
    """Vulnerability ids with their written reasons; an entry without a reason is an error."""
    entries = {}
    if not IGNORE_FILE.exists():
        return entries
    for number, line in enumerate(IGNORE_FILE.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, _sep, reason = line.partition("#")
        if not reason.strip():
            sys.exit(f"{IGNORE_FILE.name}:{number}: {vuln_id.strip()} needs a reason after '#'")
        entries[vuln_id.strip()] = reason.strip()
    return entries


def warn(message: str) -> None:
    bar = "!" * 78
    print(f"\n{bar}\nWARNING: pip-audit did not audit the dependencies: {message}\n{bar}\n")


def main() -> int:
    skip = ignored()
    command = [sys.executable, "-m", "pip_audit", "--skip-editable", "--progress-spinner", "off"]
    command += ["--format", "json", "--timeout", "30"]
    for vuln_id in skip:
        command += ["--ignore-vuln", vuln_id]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)  # noqa: S603
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        # No report at all: pip-audit could not run its queries (network, service down).
        warn((result.stderr.strip().splitlines() or ["no output"])[-1])
        return 0
    dependencies = report.get("dependencies", [])
    findings = [
        (dep["name"], dep["version"], vuln["id"], vuln.get("fix_versions", []))
        for dep in dependencies
        for vuln in dep.get("vulns", [])
        if vuln["id"] not in skip
    ]
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    for name, version, vuln_id, fixes in findings:
        print(f"VULNERABLE: {name} {version}: {vuln_id} (fixed in {', '.join(fixes) or '?'})")
    if findings:
        print(f"pip-audit: {len(findings)} known vulnerabilities; fix or add to {IGNORE_FILE.name}")
        return 1
    if dependencies and not audited:
        reason = dependencies[0].get("skip_reason", "")
        warn(f"the service knew none of the {len(dependencies)} packages ({reason})")
        return 0
    print(f"pip-audit: {len(audited)} packages audited, no known vulnerabilities", end="")
    print(f" ({len(skip)} ignored with reasons in {IGNORE_FILE.name})" if skip else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
