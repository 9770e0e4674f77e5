"""The project's modules import each other without a cycle, and the runtime (``pose``) never
imports the build side (``models``). Read from the source with ``ast``: nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers.paths import ROOT

# Top-level packages and scripts of the project; tests are not part of the graph.
PACKAGES = ("pose", "models", "ui", "benchmarks", "examples")
SCRIPTS = ("app.py",)


def project_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of :data:`PACKAGES` and :data:`SCRIPTS`."""
    modules = {path.stem: ROOT / path for path in map(Path, SCRIPTS)}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name ``module`` imports, anywhere in the file (lazy imports inside
    functions count: they run too). ``from a import b`` gives both ``a`` and ``a.b``."""
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports (its nearest known prefix)."""
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(module, path):
            parts = name.split(".")
            # `import pose.network.registry` or `from pose.network.registry import X`: the longest
            # known prefix.
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in modules:
                    targets.add(candidate)
                    break
        targets.discard(module)
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as [a, b, ..., a], or [] when there is none (depth-first search)."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = "done"
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_project_has_no_import_cycle():
    graph = import_graph()
    assert {
        "app",
        "ui.server",
        "pose.network.registry",
        "pose.network.spec",
        "models.convert",
    } <= set(graph)
    cycle = find_cycle(graph)
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_the_runtime_never_imports_the_build_side():
    offenders = {
        module: sorted(target for target in targets if target.split(".")[0] == "models")
        for module, targets in import_graph().items()
        if module.split(".")[0] == "pose"
    }
    assert not {module: found for module, found in offenders.items() if found}


def test_the_build_side_uses_the_runtime_spec():
    assert "pose.network.spec" in import_graph()["models.convert"]


def test_a_cycle_is_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


# pose/'s groups from the ground floor up (docs/development.md): a group imports only groups
# before it in this list, so the house has floors and no import runs back up.
POSE_GROUPS = (
    "body",
    "media",
    "network",
    "photo",
    "pose3d",
    "output",
    "match",
    "video",
    "sequence",
    "batch",
    "cli",
)


def group_of(module: str) -> str | None:
    """``pose.video.region.planner`` -> ``video``; ``pose`` and ``pose.__main__`` -> None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "pose" and len(parts) > 2 else None


def rank(group: str) -> int:
    return POSE_GROUPS.index(group)


def test_pose_groups_import_only_groups_below_them():
    graph = import_graph()
    grouped = {group_of(module) for module in graph} - {None}
    assert grouped == set(POSE_GROUPS), (
        "a group was added or removed: update POSE_GROUPS and the docs"
    )
    upward = []
    for module, targets in graph.items():
        source = group_of(module)
        for target in targets:
            destination = group_of(target)
            if (
                source
                and destination
                and POSE_GROUPS.index(destination) > POSE_GROUPS.index(source)
            ):
                upward.append(f"{module} -> {target}")
    assert not upward, upward


def test_pose_modules_sit_in_groups():
    top_level = sorted(path.name for path in (ROOT / "pose").glob("*.py"))
    assert top_level == ["__init__.py", "__main__.py"]
