"""The project's modules import each other without circles, and the apps never reach up into
the project package (scripts/import_cycles.py draws the graph)."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "import_cycles.py"


def _graph_module():
    spec = importlib.util.spec_from_file_location("import_cycles", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_module_imports_itself_through_others():
    graph = _graph_module()

    assert graph.circles(graph.edges()) == []


def test_no_app_module_imports_the_project_package():
    graph = _graph_module()

    assert graph.arrows_up(graph.edges()) == []


def test_the_graph_sees_a_deferred_import(tmp_path):
    graph = _graph_module()
    for package in graph.PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "sessions" / "a.py").write_text("def f():\n    from sessions import b\n")
    (tmp_path / "sessions" / "b.py").write_text("from sessions.a import f\n")

    assert graph.circles(graph.edges(tmp_path)) == [["sessions.a", "sessions.b"]]
