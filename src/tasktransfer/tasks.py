"""The 13 BLINK perception tasks studied (BLINK minus IQ Test) and their fixed facts.

Only what BLINK itself fixes lives here (images per question, number of options, the
size of the validation set). Training settings (examples, schedule, lr, LoRA rank) and
categories are study choices and live in config.
"""

from __future__ import annotations

from dataclasses import dataclass

LETTERS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class TaskSpec:
    name: str
    n_images: int
    n_options: int
    source: str
    val_size: int

    @property
    def letters(self) -> tuple[str, ...]:
        return LETTERS[: self.n_options]


TASKS: dict[str, TaskSpec] = {
    t.name: t
    for t in [
        TaskSpec("Visual_Similarity", 3, 2, "NIGHTS (DreamSim)", 135),
        TaskSpec("Counting", 1, 4, "TallyQA", 120),
        TaskSpec("Relative_Depth", 1, 2, "Depth in the Wild", 124),
        TaskSpec("Jigsaw", 3, 2, "TARA", 150),
        TaskSpec("Art_Style", 3, 2, "WikiArt", 117),
        TaskSpec("Functional_Correspondence", 2, 4, "FunKPoint", 130),
        TaskSpec("Semantic_Correspondence", 2, 4, "SPair-71k", 139),
        TaskSpec("Spatial_Relation", 1, 2, "VSR", 143),
        TaskSpec("Object_Localization", 1, 2, "LVIS", 122),
        TaskSpec("Visual_Correspondence", 2, 4, "HPatches", 172),
        TaskSpec("Multi-view_Reasoning", 2, 2, "Wild6D", 133),
        TaskSpec("Relative_Reflectance", 1, 3, "IIW", 134),
        TaskSpec("Forensic_Detection", 4, 4, "COCO + generated", 132),
    ]
}

BLINK_TASKS: tuple[str, ...] = tuple(TASKS)


def get_task(name: str) -> TaskSpec:
    """Return the spec of a BLINK task, with a message listing valid names if unknown."""
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; expected one of: {', '.join(sorted(TASKS))}") from None
