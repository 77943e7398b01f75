"""Issue 12 "Done when": the README's layout section matches the code. Every package and module directly under
desktop/ is named there, and the layers it lists run in the order of import-linter's layers contract."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _layout() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## Layout\n", 1)[1].split("\n## ", 1)[0]


def test_every_top_level_part_of_desktop_is_in_the_readme_layout():
    layout = _layout()
    parts = sorted(p.name + ("/" if p.is_dir() else "") for p in (ROOT / "desktop").iterdir()
                   if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.name != "__init__.py"))
    missing = [part for part in parts if f"desktop/{part}" not in layout]
    assert not missing, f"README layout does not name: {missing}"
    named = set(re.findall(r"desktop/([a-z_]+(?:\.py|/))", layout))
    assert not named - set(parts), f"README layout names what does not exist: {named - set(parts)}"


def test_the_readme_lists_the_layers_in_the_import_linter_order():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [layers] = [c["layers"] for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    order = [name.strip().replace("desktop.", "desktop/") for layer in layers for name in layer.split("|")]
    block = _layout().split("```", 2)[1]
    position = {}
    for name in order:
        path = name + (".py" if name == "desktop/ops" else "/")
        assert path in block, f"{path} missing from the README's layer list"
        position[name] = block.index(path)
    for upper, lower in zip(layers, layers[1:]):
        for a in upper.split("|"):
            for b in lower.split("|"):
                a_, b_ = a.strip().replace("desktop.", "desktop/"), b.strip().replace("desktop.", "desktop/")
                assert position[a_] < position[b_], f"README lists {b_} above {a_}"
