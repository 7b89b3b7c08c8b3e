"""Reading a taxonomy file: YAML parsed into plain dicts and lists that remember their lines, so
that every problem found later can name the line it is on."""

import os
from pathlib import Path
from typing import Any

import yaml

from taxonomy.datafile.errors import TaxonomyFileError

BUNDLED_TAXONOMY_FILE = Path(__file__).resolve().parents[1] / "data" / "commonground-taxonomy.yaml"


class MarkedDict(dict):
    """A mapping that remembers the line it starts on and the line of each key (1-based)."""

    line: int | None = None
    key_lines: dict[Any, int]


class MarkedList(list):
    """A sequence that remembers the line it starts on and the line of each item (1-based)."""

    line: int | None = None
    item_lines: list[int]


def line_of(container: Any, where: Any) -> int | None:
    """The line of key or index ``where`` in container; the container's own line when that key
    is missing; None for data that did not come from a file."""
    if isinstance(container, MarkedDict):
        return container.key_lines.get(where, container.line)
    if isinstance(container, MarkedList):
        in_range = isinstance(where, int) and 0 <= where < len(container.item_lines)
        return container.item_lines[where] if in_range else container.line
    return None


def marked_copy(original: Any, content: dict | list) -> MarkedDict | MarkedList:
    """content as a marked container with the lines of original (none if it has none)."""
    if isinstance(content, dict):
        copy = MarkedDict(content)
        copy.key_lines = getattr(original, "key_lines", {})
    else:
        copy = MarkedList(content)
        copy.item_lines = getattr(original, "item_lines", [])
    copy.line = getattr(original, "line", None)
    return copy


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records line numbers and refuses duplicate keys (which plain YAML
    loading would silently resolve to the last one)."""


def _construct_marked_mapping(loader: _LineLoader, node: yaml.MappingNode):
    loader.flatten_mapping(node)
    data = MarkedDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int):
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain names", key_node.start_mark
            )
        if key in data:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = key_node.start_mark.line + 1


def _construct_marked_sequence(loader: _LineLoader, node: yaml.SequenceNode):
    data = MarkedList()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_object(item, deep=True) for item in node.value)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_marked_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_marked_sequence)


def parse_taxonomy_yaml(text: str, source: str = "taxonomy file") -> Any:
    """Parse YAML text into plain data that remembers line numbers; raise TaxonomyFileError
    with the line of a syntax error or duplicate key."""
    try:
        # _LineLoader is a SafeLoader: no arbitrary objects (bandit B506 accepted).
        return yaml.load(text, Loader=_LineLoader)  # nosec B506
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{source} line {mark.line + 1}" if mark else source
        problem = ": ".join(part for part in (error.context, error.problem) if part)
        raise TaxonomyFileError([f"{where}: invalid YAML: {problem}"]) from error
    except yaml.YAMLError as error:
        raise TaxonomyFileError([f"{source}: invalid YAML: {error}"]) from error


def read_taxonomy_file(path: str | os.PathLike) -> Any:
    """Read and parse a taxonomy file; errors are named after the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise TaxonomyFileError([f"{path.name}: not UTF-8 text ({error.reason})"]) from error
    except OSError as error:
        raise TaxonomyFileError([f"{path}: cannot read the file: {error.strerror}"]) from error
    return parse_taxonomy_yaml(text, source=path.name)
