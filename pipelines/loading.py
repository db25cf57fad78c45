"""Loading a PlaygroundPipeline from a bundled model (by name), a folder or the Hugging Face Hub.

Only safetensors weights are ever loaded: pickled checkpoints (.bin, .ckpt,
.pt, .pth) can run arbitrary code when opened, so they are refused with a
note on how to convert them.

Stable Diffusion 1.x / 2.x folders in diffusers format load too; their
safety checker and feature extractor are ignored.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch

from .errors import ModelLoadError
from .pipeline_playground import PlaygroundPipeline

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"
BUNDLED_DIR = ASSETS_DIR / "bundled"  # the 32x32 model's folder (its name predates v2; the files stay where they are)
# The bundled models by name, and the one "bundled" means: switching the default is the one line DEFAULT_BUNDLED.
BUNDLED = {"shapes-32": BUNDLED_DIR, "v2": ASSETS_DIR / "v2"}
DEFAULT_BUNDLED = "v2"
REQUIRED_PARTS = ("tokenizer", "text_encoder", "unet", "scheduler")
WEIGHT_PARTS = ("text_encoder", "unet", "vae")
PICKLE_SUFFIXES = (".bin", ".ckpt", ".pt", ".pth")
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

CONVERT_HINT = (
    "Only .safetensors weights are loaded, because pickled files can run code when opened. "
    "To convert, on a machine you trust run: "
    "python -c \"from diffusers import DiffusionPipeline; "
    "DiffusionPipeline.from_pretrained('OLD').save_pretrained('NEW', safe_serialization=True)\" "
    "and pass the NEW folder."
)


def check_device(device: str | torch.device) -> torch.device:
    """The device to run on, or ModelLoadError saying in plain words why this machine has none such (an unknown
    name, a torch built without CUDA, no GPU visible, a GPU number past the last)."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ModelLoadError(f"Unknown device {device!r}: give cpu, cuda, cuda:N or mps.") from None
    if dev.type == "cuda":
        if torch.version.cuda is None:
            raise ModelLoadError(f"Device {str(device)!r}: this torch ({torch.__version__}) is built without CUDA. Use "
                                 "cpu, or install a CUDA build of torch.")
        count = torch.cuda.device_count()
        if count == 0:
            raise ModelLoadError(f"Device {str(device)!r}: no CUDA GPU is visible on this machine. Use cpu.")
        if dev.index is not None and dev.index >= count:
            raise ModelLoadError(f"Device {str(device)!r}: this machine has {count} CUDA GPU(s), numbered 0 to "
                                 f"{count - 1}.")
    elif dev.type == "mps" and not torch.backends.mps.is_available():
        raise ModelLoadError(f"Device {str(device)!r}: Apple's MPS is not available on this machine. Use cpu.")
    elif dev.type not in ("cpu", "cuda", "mps"):
        raise ModelLoadError(f"Device {str(device)!r}: the playground runs on cpu, cuda or mps.")
    return dev


DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}  # the precisions a model runs in


def check_dtype(dtype: str | torch.dtype, device: str | torch.device = "cpu") -> torch.dtype:
    """The precision to run in (a name of DTYPES or a torch dtype), or ModelLoadError: an unknown name, or half
    precision on a CPU (torch runs fp16 there ten times slower than fp32, and diffusers warns that it may fail)."""
    found = DTYPES.get(dtype) if isinstance(dtype, str) else dtype if dtype in DTYPES.values() else None
    if found is None:
        raise ModelLoadError(f"Unknown precision {str(dtype)!r}: give {', '.join(DTYPES)}.")
    if found == torch.float16 and torch.device(device).type == "cpu":
        raise ModelLoadError("Precision fp16 runs on a GPU; on the CPU use fp32 (or bf16).")
    return found


def load_pipeline(
    source: str | Path = "bundled", device: str | torch.device = "cpu",
    torch_dtype: str | torch.dtype = torch.float32,
) -> PlaygroundPipeline:
    """Load a PlaygroundPipeline ready for inference.

    source: a bundled model's name ("shapes-32", "v2"; "bundled" is
    DEFAULT_BUNDLED's), a diffusers model folder, or a Hub id such as
    "org/name" (fetched with only its json, txt and safetensors files).
    Raises ModelLoadError with a plain message when something is missing.
    The result is in eval mode, without gradients, on `device`.
    """
    device = check_device(device)
    torch_dtype = check_dtype(torch_dtype, device)
    folder = resolve_model_folder(source)
    check_model_folder(folder)
    try:
        pipe = PlaygroundPipeline.from_pretrained(str(folder), dtype=torch_dtype, use_safetensors=True)
    except Exception as error:  # diffusers / transformers raise many kinds
        raise ModelLoadError(f"Could not load the model in {folder}: {error}") from error
    for name in ("text_encoder", "unet", "vae", "preview_vae"):
        module = getattr(pipe, name, None)
        if module is not None:
            module.eval().requires_grad_(False)
    return pipe.to(device)


def bundled_name(source: str | Path) -> str | None:
    """The bundled model's name ("bundled" is DEFAULT_BUNDLED), or None when source names no bundled model."""
    name = DEFAULT_BUNDLED if str(source) == "bundled" else str(source)
    return name if name in BUNDLED else None


def bundled_models() -> list[str]:
    """The bundled models in this checkout by name, the default first; [DEFAULT_BUNDLED] when there are none (so that
    loading it says what is missing)."""
    return sorted(_present_bundled(), key=lambda name: name != DEFAULT_BUNDLED) or [DEFAULT_BUNDLED]


def _present_bundled() -> list[str]:
    return [name for name, folder in BUNDLED.items() if (folder / "model_index.json").is_file()]


def resolve_model_folder(source: str | Path) -> Path:
    """Where the model files are: a bundled model's folder, a local folder, or a Hub download."""
    name = bundled_name(source)
    if name is not None:
        folder = BUNDLED[name]
        if not (folder / "model_index.json").is_file():
            raise ModelLoadError(_missing_bundled(name, folder))
        return folder
    path = Path(source).expanduser()
    if path.is_file():
        if path.suffix.lower() in PICKLE_SUFFIXES:
            raise ModelLoadError(f"{path.name} is a pickled checkpoint and will not be loaded. {CONVERT_HINT}")
        raise ModelLoadError(
            f"{path} is a single file; pass a diffusers model folder (one with model_index.json) instead."
        )
    if path.is_dir():
        return path
    if HUB_ID.match(str(source)):
        return _download_from_hub(str(source))
    raise ModelLoadError(f"No model folder at {path}. Pass a diffusers model folder or a Hub id like 'org/name'.")


def _missing_bundled(name: str, folder: Path) -> str:
    """Why a bundled model is not there, and what to pass instead."""
    if name == "v2":
        head = f"The v2 model is not in this checkout yet: it is still being trained and will ship in {folder}."
    else:
        head = (f"The {name} model is missing: {folder} has no model_index.json. "
                "Make it with `python -m training.train`.")
    instead = " ".join(f"`--model {other}`" for other in _present_bundled() if other != name)
    return f"{head} Pass {instead + ' or ' if instead else ''}another model with `--model DIR`."


def check_model_folder(folder: Path) -> None:
    """Refuse folders that cannot load: no model_index.json, missing parts, pickled-only weights."""
    index_file = folder / "model_index.json"
    if not index_file.is_file():
        raise ModelLoadError(f"{folder} is not a diffusers model folder: model_index.json is missing.")
    try:
        index = json.loads(index_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"Could not read {index_file}: {error}") from error

    listed = {name for name, value in index.items() if isinstance(value, list) and value and value[0] is not None}
    parts = list(REQUIRED_PARTS) + (["vae"] if "vae" in listed else [])
    for part in parts:
        if part not in listed:
            raise ModelLoadError(f"{folder} cannot be used: model_index.json lists no '{part}'.")
        if not (folder / part).is_dir():
            raise ModelLoadError(f"{folder} is incomplete: the '{part}' folder is missing.")
    for part in WEIGHT_PARTS:
        if part in parts:
            _check_weights(folder / part)
    _check_unet_kind(folder / "unet")


def _check_weights(part_dir: Path) -> None:
    files = [p.name for p in part_dir.iterdir() if p.is_file()]
    if any(name.endswith(".safetensors") for name in files):
        return
    if any(name.endswith(PICKLE_SUFFIXES) for name in files):
        raise ModelLoadError(f"{part_dir} holds only pickled weights, which are not loaded. {CONVERT_HINT}")
    raise ModelLoadError(f"{part_dir} has no weights (no .safetensors file).")


def _check_unet_kind(unet_dir: Path) -> None:
    """Refuse UNets that need inputs this pipeline does not make (SDXL's extra embeddings)."""
    try:
        config = json.loads((unet_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelLoadError(f"{unet_dir} has no readable config.json.") from None
    if config.get("addition_embed_type"):
        raise ModelLoadError(
            "This looks like an SDXL-style model (its UNet needs extra embeddings); "
            "only Stable Diffusion 1.x/2.x-style and playground models are supported."
        )


def _download_from_hub(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    try:
        folder = snapshot_download(
            repo_id,
            allow_patterns=["model_index.json", "*/*.json", "*/*.txt", "*/*.safetensors"],
            ignore_patterns=["*.fp16.safetensors", "*non_ema*", "*.ema.*", "safety_checker/*"],
        )
    except (RepositoryNotFoundError, GatedRepoError) as error:
        raise ModelLoadError(
            f"'{repo_id}' was not found on the Hugging Face Hub, or it needs a login. "
            "If you meant a local folder, check the path."
        ) from error
    except Exception as error:  # offline, no connection, timeouts, ...
        raise ModelLoadError(
            f"Could not fetch '{repo_id}' from the Hugging Face Hub ({type(error).__name__}). "
            f"Download it on a machine with internet access (`hf download {repo_id}`), "
            "copy the folder here and pass it with `--model DIR`. If you meant a local folder, check the path."
        ) from error
    return Path(folder)
