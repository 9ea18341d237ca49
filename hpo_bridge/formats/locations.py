"""Line numbers of the places in a YAML file, by dotted path (for notes and problems)."""

from __future__ import annotations

import yaml


def yaml_lines(text: str) -> dict[str, int]:
    """Dotted path -> 1-based line, for every mapping key and sequence item of `text`.

    A key's line is where the key is written; an item's where it starts. A file that does
    not compose (it was parsed already, so this is rare) gives no lines.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = f"{path}.{key.value}" if path else str(key.value)
                lines.setdefault(child, key.start_mark.line + 1)
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                child = f"{path}.{i}" if path else str(i)
                lines.setdefault(child, item.start_mark.line + 1)
                walk(item, child)

    if root is not None:
        walk(root, "")
    return lines
