"""Which world a run trains on: today's 32 × 32 shapes world (``world``, the bundled model's) or the 64 × 64 world
of the next model (``world.v2``, issue 33). The phases read pictures, captions, the picture size and the scene
mix through the module this returns; a run folder keeps its world (``<out>/world.json``), so that every phase of
one run trains on the same pictures."""
from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import world
import world.v2
from world.v2.scenes import scene_shares as v2_scene_shares

WORLDS: dict[str, ModuleType] = {"shapes": world, "v2": world.v2}


def scene_shares(name: str, mix: dict[str, float] | None) -> dict[str, float]:
    """The world's shares of its scene kinds with ``mix`` applied (ValueError in words for a mix it has no kinds
    for)."""
    return world.scene_shares(mix) if name == "shapes" else v2_scene_shares(mix)


def world_of_size(size: int) -> str:
    """The name of the world whose pictures are ``size`` pixels a side (a saved model's autoencoder says it)."""
    for name, module in WORLDS.items():
        if module.SIZE == size:
            return name
    raise SystemExit(f"no world of ours draws {size} x {size} pictures (shapes: {world.SIZE}, v2: {world.v2.SIZE})")


def keep_world(out: Path, name: str) -> None:
    """Record ``name`` as the world of the run in ``out`` (world.json), for its phases to read."""
    path = Path(out) / "world.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"world": name}))


def chosen_world(args, out: Path) -> str:
    """The name of the world of the run in ``out``: the one its first phase chose with ``--world`` (kept in
    world.json), else ``--world``, else shapes. A phase that names another world than its run's is refused."""
    path = Path(out) / "world.json"
    if path.exists():
        kept = json.loads(path.read_text())["world"]
        if args.world is not None and args.world != kept:
            raise SystemExit(f"--world {args.world}: the run in {out} trains on the {kept} world (world.json); "
                             f"a run keeps its world")
        return kept
    return args.world or "shapes"


def run_world(args, out: Path) -> ModuleType:
    """The world module of the run in ``out`` (``chosen_world``), kept in world.json for the phases after."""
    name = chosen_world(args, out)
    if not (Path(out) / "world.json").exists():
        keep_world(out, name)
    return WORLDS[name]
