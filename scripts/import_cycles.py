"""The import graph of the project's own modules, and its circles.

Reads every module of the apps (not migrations) with ``ast``, takes each import, at module
level or inside a function (a deferred import still ties the two modules together), and prints
the circles: the groups of modules that reach each other (strongly connected components).
Also prints each edge up into ``commonground`` from the apps (the project package holds
settings and the site-wide wiring; an app reaching up into it is an arrow back up).

    .venv/bin/python scripts/import_cycles.py            # prints the circles; exit 1 if any
    .venv/bin/python scripts/import_cycles.py --edges    # and every edge between modules

tests/test_import_graph.py runs it on every test run."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sessions", "taxonomy", "commonground")


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts or "tests" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _target(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def edges(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the project modules it imports (``from a import b``: a.b if it is a module)."""
    known = modules(root)
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor if is_package else anchor[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
            for target in targets:
                resolved = _target(target, known)
                if resolved and resolved != name and not name.startswith(resolved + "."):
                    graph[name].add(resolved)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def arrows_up(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports from an app module into the project package (settings are read through
    django.conf, never imported)."""
    return sorted(
        (name, target)
        for name, targets in graph.items()
        if not name.startswith("commonground")
        for target in targets
        if target.startswith("commonground")
    )


def main(argv: list[str]) -> int:
    root = Path(argv[argv.index("--root") + 1]) if "--root" in argv else ROOT
    graph = edges(root)
    if "--edges" in argv:
        for name in sorted(graph):
            for target in sorted(graph[name]):
                print(f"{name} -> {target}")
    found = circles(graph)
    for component in found:
        print("circle:", " <-> ".join(component))
    for name, target in arrows_up(graph):
        print(f"arrow up: {name} -> {target}")
    print(f"{len(graph)} modules, {sum(map(len, graph.values()))} imports, {len(found)} circles")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
