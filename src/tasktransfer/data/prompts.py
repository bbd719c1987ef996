"""BLINK's prompt text per task, so training questions read like the evaluation questions.

Templates follow BLINK's val ``prompt`` column character for character where it could be
established (fixed per task, or with one slot: the Counting / Spatial_Relation question,
the Object_Localization object name, the Functional_Correspondence action). The
Functional_Correspondence preamble was never seen verbatim: it is a reconstruction
(documented in docs/data.md). Option texts (``choices``) are plain strings; the letters
are added when the prompt is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..tasks import LETTERS

_SELECT_CHOICES = "Select from the following choices."
_SELECT_OPTIONS = "Select from the following options."


@dataclass(frozen=True)
class PromptTemplate:
    """How one task's prompt is laid out.

    ``head`` may contain ``{slot}`` placeholders; ``sep`` joins head and the select line;
    ``gap`` goes between the select line and the options; ``tail`` ends the prompt.
    """

    head: str
    sep: str
    select: str
    gap: str
    tail: str
    choices: tuple[str, ...] | None  # fixed option texts, or None when they vary per row
    short_question: str  # BLINK's `question` column

    def render(self, choices: list[str] | tuple[str, ...] | None = None, **slots: str) -> str:
        opts = list(choices if choices is not None else (self.choices or ()))
        if not 2 <= len(opts) <= len(LETTERS):
            raise ValueError(f"expected 2 to {len(LETTERS)} choices, got {len(opts)}")
        head = self.head.format(**slots) if slots else self.head
        lines = "\n".join(f"({LETTERS[k]}) {c}" for k, c in enumerate(opts))
        return f"{head}{self.sep}{self.select}\n{self.gap}{lines}{self.tail}"


_POINTS4 = ("Point A", "Point B", "Point C", "Point D")
_FOUR_IMAGES = ("the first image", "the second image", "the third image", "the fourth image")
_TWO_LATTER = ("the second image", "the third image")

_CORR_CHOICE_SENTENCE = (
    'You are given multiple red-circled points on the second image, choices of "A, B, C, D" are drawn '
    "beside each circle."
)

TEMPLATES: dict[str, PromptTemplate] = {
    "Relative_Depth": PromptTemplate(
        "Two points are circled on the image, labeled by A and B beside each circle. "
        "Which point is closer to the camera?",
        "\n", _SELECT_CHOICES, "", "", ("A is closer", "B is closer"),
        "Which point is closer to the camera?",
    ),
    "Jigsaw": PromptTemplate(
        "Given the first image with the lower right corner missing, can you tell which one of the second "
        "image or the third image is the missing part? Imagine which image would be more appropriate to "
        "place in the missing spot. You can also carefully observe and compare the edges of the images.",
        "\n", _SELECT_CHOICES, "\n", "\n", _TWO_LATTER,
        "Which image is the missing part in the first image?",
    ),
    "Spatial_Relation": PromptTemplate(
        "{question}", "\n", _SELECT_CHOICES, "", "", ("yes", "no"), "{question}",
    ),
    "Counting": PromptTemplate(
        "{question}", "\n", _SELECT_CHOICES, "", "", None, "{question}",
    ),
    "Object_Localization": PromptTemplate(
        "A bounding box is an annotated rectangle surrounding an object. The edges of bounding boxes "
        "should touch the outermost pixels of the object that is being labeled. Given the two bounding "
        "boxes on the image, labeled by A and B, which bounding box more accurately localizes and "
        "encloses the {object}?",
        " ", _SELECT_OPTIONS, "", "", ("Box A", "Box B"),
        "Which bounding box more accurately localizes and encloses the {object}?",
    ),
    "Visual_Correspondence": PromptTemplate(
        "A point is circled on the first image, labeled with REF. We change the camera position or "
        f"lighting and shoot the second image. {_CORR_CHOICE_SENTENCE} Which point on the second image "
        "corresponds to the point in the first image?",
        " ", _SELECT_OPTIONS, "", "", _POINTS4,
        "Which point is corresponding to the reference point?",
    ),
    "Semantic_Correspondence": PromptTemplate(
        "Humans can find corresponding points for different objects in the same category. For instance, "
        "if there are images of two different cats, then the left ear tip of one cat corresponds to the "
        "left ear tip of the other cat, and the right front paw of one cat corresponds to the right front "
        "paw of the other cat.\nGiven the following two images, a reference point is annotated on the "
        f"first image, labeled with REF. {_CORR_CHOICE_SENTENCE} Select between the choices on the second "
        "image and find the corresponding point for the reference point. Which point is corresponding to "
        "the reference point?",
        "\n", _SELECT_CHOICES, "", "\n", _POINTS4,
        "Which point is corresponding to the reference point?",
    ),
    # Reconstruction: BLINK's exact wording for this task was not available (see module doc).
    "Functional_Correspondence": PromptTemplate(
        "Humans can find corresponding points for the same action between different objects. For "
        "instance, if a person uses a pot versus a hammer to \"Mash/Pound\", then the bottom part of the "
        "pot corresponds to the face of the hammer, and the handle of the pot corresponds to the handle "
        "of the hammer. In the same way, the parts of two objects that a person would use to perform an "
        "action correspond to each other, even if unrelated.\nGiven "
        "the following two images, a reference point is annotated on the first image, labeled with REF. "
        f"{_CORR_CHOICE_SENTENCE} Select between the choices on the second image and find the "
        "corresponding point for the reference point, if a person wants to \"{action}\" with the objects. "
        "Which point is corresponding to the reference point?",
        "\n", _SELECT_CHOICES, "", "\n", _POINTS4,
        "Which point is corresponding to the reference point?",
    ),
    "Relative_Reflectance": PromptTemplate(
        "Two points are annotated on the image, labeled by A and B. Consider the surface color of the "
        "points (the albedo of the surface, without the effect of shading). Which point has darker "
        "surface color, or the colors is about the same?",
        " ", _SELECT_CHOICES, "", "", ("A is darker", "B is darker", "About the same"),
        "Which point has darker surface color, or the colors is about the same?",
    ),
    "Multi-view_Reasoning": PromptTemplate(
        "The images are frames from a video. The video is shooting a static scene. The camera is either "
        "moving clockwise (left) or counter-clockwise (right) around the object. The first image is from "
        "the beginning of the video and the second image is from the end. Is the camera moving left or "
        "right when shooting the video?",
        " ", _SELECT_OPTIONS, "", "", ("left", "right"),
        "Is the camera moving left or right when shooting the video?",
    ),
    "Art_Style": PromptTemplate(
        "Some most common art painting styles include Realism, Impressionism, Expressionism, Pop Art, "
        "and Cubism.\nGiven the following images of art paintings, use the first image as the reference "
        "image, and determine which one of the second or the third image shares the same style as the "
        "reference image?",
        "\n", _SELECT_CHOICES, "", "\n", _TWO_LATTER,
        "Which image shares the same style as the reference image?",
    ),
    "Forensic_Detection": PromptTemplate(
        "You are a judge in a photography competition, and now you are given the four images. Please "
        "examine the details and tell which one of them is most likely to be a real photograph.",
        "\n", _SELECT_CHOICES, "", "", _FOUR_IMAGES,
        "Which image is most likely to be a real photograph?",
    ),
    "Visual_Similarity": PromptTemplate(
        "Given three similar but different images, take the first image as reference. Can you tell which "
        "one of the latter two images is most similar to the first one?",
        "\n", _SELECT_CHOICES, "", "", _TWO_LATTER,
        "Which image is most similar to the reference image?",
    ),
}


def render_prompt(task: str, choices: list[str] | tuple[str, ...] | None = None, **slots: str) -> str:
    """Full BLINK-style prompt for ``task`` with the given option texts and slot values."""
    try:
        template = TEMPLATES[task]
    except KeyError:
        raise KeyError(f"no BLINK prompt template for task {task!r}; known: {', '.join(sorted(TEMPLATES))}") from None
    return template.render(choices, **slots)
