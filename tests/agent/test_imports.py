"""The shape of agent/: it reaches the game only through the door, and no two modules import each other."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_YET_THROUGH_THE_DOOR: dict[str, set[str]] = {}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imports() -> dict[str, set[str]]:
    """Every module under agent/ -> the modules of agent/ and game/ it imports (anywhere in its code)."""
    known = {module_name(p) for folder in ("agent", "game") for p in (ROOT / folder).rglob("*.py")}
    found = {}
    for path in sorted((ROOT / "agent").rglob("*.py")):
        package = module_name(path.parent).split(".")
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module
                if node.level:  # from .conv import ...: relative to the file's package
                    base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
                submodules = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known}
                if node.module or not submodules:  # `from . import cells` imports cells, not the package
                    targets.add(base)
                targets.update(submodules)
        found[module_name(path)] = {t for t in targets if t in known}
    return found


def test_agent_reaches_the_game_only_through_game_env():
    graph = imports()
    assert "agent.trainer" in graph and "agent.nn.conv" in graph and "game.env" in graph["agent.trainer"]
    for module, targets in graph.items():
        game = {t for t in targets if t.startswith("game")} - NOT_YET_THROUGH_THE_DOOR.get(module, set())
        assert game <= {"game.env"}, (module, sorted(game))


def test_no_circle_between_agent_modules():
    graph = imports()
    edges = {m: {t for t in targets if t in graph and t not in ("agent", m)} for m, targets in graph.items()}
    assert "agent.loading" in edges["agent.manage"] and "agent.loading" in edges["agent.session"]

    def visit(module: str, path: list[str]) -> None:
        assert module not in path, "a circle: " + " -> ".join(path[path.index(module):] + [module])
        for target in sorted(edges[module]):
            visit(target, path + [module])

    for module in sorted(graph):
        visit(module, [])
