"""Getting the raw datasets onto disk: official archives, extracted where the readers look.

Each source lists its official archive URLs, where each archive is unpacked (relative to
the raw-data root), and the paths whose presence means "already there" (then nothing is
downloaded). Datasets without a public download (FunKPoint, Wild6D from its Google-Drive
release) carry instructions instead, shown when their files are missing. Archives are
unpacked with path checks (tar ``data`` filter; zip names checked), so an archive cannot
write outside the root. Downloads go to a ``.part`` file renamed when complete.
"""

from __future__ import annotations

import shutil
import tarfile
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import DataError


@dataclass(frozen=True)
class Archive:
    url: str
    extract_to: str = "."  # relative to the raw-data root


@dataclass(frozen=True)
class DatasetSource:
    dataset_dir: str  # folder under the raw-data root (same name as the fixture's)
    present: tuple[str, ...]  # paths (relative to that folder) that must all exist
    archives: tuple[Archive, ...] = ()
    manual: str = ""  # how to obtain it when there is no public URL
    notes: str = field(default="", compare=False)


SOURCES: dict[str, DatasetSource] = {}


def register_source(src: DatasetSource) -> DatasetSource:
    SOURCES[src.dataset_dir] = src
    return src


_DIW = "https://vl-lab.eecs.umich.edu/data/nips2016/"
register_source(DatasetSource(
    "DIW", ("DIW_train_val",),
    (Archive(_DIW + "DIW_train_val.tar.gz", "DIW"), Archive(_DIW + "DIW_test.tar.gz", "DIW"),
     Archive(_DIW + "DIW_Annotations_splitted.tar.gz", "DIW")),
    notes="project page http://www-personal.umich.edu/~wfchen/depth-in-the-wild/",
))
register_source(DatasetSource(
    "iiw-dataset", ("data",),
    (Archive("http://labelmaterial.s3.amazonaws.com/release/iiw-dataset-release-0.zip"),),
))
register_source(DatasetSource(
    "hpatches-sequences-release", ("v_wall/1.ppm",),
    (Archive("http://icvl.ee.ic.ac.uk/vbalnt/hpatches/hpatches-sequences-release.tar.gz"),),
))
register_source(DatasetSource(
    "SPair-71k", ("PairAnnotation/trn", "JPEGImages"),
    (Archive("http://cvlab.postech.ac.kr/research/SPair-71k/data/SPair-71k.tar.gz"),),
))
register_source(DatasetSource(
    "LVIS", ("lvis_v1_train.json", "train2017"),
    (Archive("https://dl.fbaipublicfiles.com/LVIS/lvis_v1_train.json.zip", "LVIS"),
     Archive("https://dl.fbaipublicfiles.com/LVIS/lvis_v1_val.json.zip", "LVIS"),
     Archive("http://images.cocodataset.org/zips/train2017.zip", "LVIS"),
     Archive("http://images.cocodataset.org/zips/val2017.zip", "LVIS")),
    notes="COCO 2017 images may instead be symlinked as LVIS/train2017 and LVIS/val2017",
))
register_source(DatasetSource(
    "FunKPoint", ("labels.csv", "images"),
    manual="FunKPoint has no public download: request it from the authors of 'Functional Correspondence by "
           "Matrix Completion' (Lai, Purushwalkam and Gupta, CVPR 2021), then place labels.csv and images/<wnid>/ "
           "in <raw_root>/FunKPoint/.",
))
register_source(DatasetSource(
    "Wild6D", ("test_set/pkl_annotations",),
    manual="Wild6D is distributed through the links on its project repository (github.com/OasisYang/Wild6D, "
           "Google Drive): download the test set (test_set/ with images and pkl_annotations/) and unpack it as "
           "<raw_root>/Wild6D/test_set/.",
))


def is_present(root: Path, src: DatasetSource) -> bool:
    base = root / src.dataset_dir
    return all((base / p).exists() for p in src.present)


def _fetch(url: str, dest: Path) -> None:
    part = dest.with_name(dest.name + ".part")
    with urllib.request.urlopen(url, timeout=60) as resp, open(part, "wb") as fh:
        shutil.copyfileobj(resp, fh, length=1 << 20)
    part.replace(dest)


def extract(archive: Path, into: Path) -> None:
    """Unpack a .tar(.gz) or .zip into ``into``, refusing members that would land outside it."""
    into.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            root = into.resolve()
            for name in zf.namelist():
                if not (root / name).resolve().is_relative_to(root):
                    raise DataError(f"{archive}: member {name!r} would be written outside {root}")
            zf.extractall(into)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            try:
                tf.extractall(into, filter="data")
            except tarfile.FilterError as exc:
                raise DataError(f"{archive}: refused unsafe member ({exc})") from None
    else:
        raise DataError(f"{archive}: neither a tar nor a zip archive")


def ensure_dataset(dataset_dir: str, raw_root: str | Path, *, keep_archives: bool = False,
                   fetch: Callable[[str, Path], None] = _fetch, log: Callable[[str], None] = print) -> str:
    """Make ``<raw_root>/<dataset_dir>`` present; return ``"present"`` or ``"downloaded"``.

    Raises :class:`DataError` with instructions for datasets that must be obtained by hand.
    """
    root = Path(raw_root)
    if dataset_dir not in SOURCES:
        if (root / dataset_dir).is_dir():
            log(f"{dataset_dir}: present under {root / dataset_dir} (no download recipe registered)")
            return "present"
        raise DataError(f"{dataset_dir}: not found under {root} and no download recipe is registered (recipes: "
                        f"{', '.join(sorted(SOURCES))}); place the dataset at {root / dataset_dir} (see docs/data.md)")
    src = SOURCES[dataset_dir]
    if is_present(root, src):
        log(f"{dataset_dir}: already present under {root / dataset_dir}; nothing downloaded")
        return "present"
    if not src.archives:
        missing = [p for p in src.present if not (root / dataset_dir / p).exists()]
        raise DataError(f"{dataset_dir}: missing {missing} under {root / dataset_dir}. {src.manual}")
    downloads = root / ".downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    for a in src.archives:
        dest = downloads / a.url.rsplit("/", 1)[-1]
        if not dest.exists():
            log(f"{dataset_dir}: downloading {a.url}")
            fetch(a.url, dest)
        log(f"{dataset_dir}: extracting {dest.name} into {root / a.extract_to}")
        extract(dest, root / a.extract_to)
        if not keep_archives:
            dest.unlink()
    if not is_present(root, src):
        raise DataError(f"{dataset_dir}: archives unpacked but {list(src.present)} still missing under "
                        f"{root / dataset_dir}; the archive layout may have changed ({src.notes or 'see docs/data.md'})")
    return "downloaded"

# --- Part 2 (image-level tasks): TallyQA, NIGHTS, TARA, WikiArt styles, VSR, COCO + generated.
_COCO = "http://images.cocodataset.org/zips/"
register_source(DatasetSource(
    "tallyqa", ("train.json", "VG_100K", "train2014"),
    (Archive("https://github.com/manoja328/tallyqa/raw/master/tallyqa.zip", "tallyqa"),
     Archive("https://cs.stanford.edu/people/rak248/VG_100K_2/images.zip", "tallyqa"),
     Archive("https://cs.stanford.edu/people/rak248/VG_100K_2/images2.zip", "tallyqa"),
     Archive(_COCO + "train2014.zip", "tallyqa"), Archive(_COCO + "val2014.zip", "tallyqa")),
    notes="TallyQA's `image` paths are relative to tallyqa/ (VG_100K/, VG_100K_2/, train2014/, val2014/); if the "
          "question zip nests a folder, move train.json and test.json up into tallyqa/",
))
register_source(DatasetSource(
    "nights", ("data.csv", "ref", "distort"),
    (Archive("https://data.csail.mit.edu/nights/nights.zip"),),
    notes="DreamSim's NIGHTS (github.com/ssundaram21/dreamsim, dataset/download_dataset.sh)",
))
register_source(DatasetSource(
    "tara", ("input/train.jsonl", "images"),
    manual="TARA (github.com/zeyofu/TARA) ships jsonl files, and its pictures are fetched from the NYT URLs they "
           "list: copy input/{train,gold_dev,gold_test}.jsonl to <raw_root>/tara/input/, then run "
           "`python workflow/scripts/download_tara_images.py <raw_root>/tara/input <raw_root>/tara/images` "
           "(names follow TARA's rule; pictures that cannot be fetched are listed and left out).",
))
register_source(DatasetSource(
    "wikiart", ("train",),
    tuple(Archive(f"https://huggingface.co/datasets/keremberke/painting-style-classification/resolve/main/data/"
                  f"{s}.zip", f"wikiart/{s}") for s in ("train", "valid", "test")),
    notes="the zips hold one folder per style; the Art_Style reader also accepts the hub's Parquet conversion "
          "(<split>-*.parquet anywhere under wikiart/)",
))
register_source(DatasetSource(
    "vsr", ("data/splits/random/train.jsonl", "data/images"),
    manual="VSR: clone github.com/cambridgeltl/visual-spatial-reasoning and copy its data/splits/ to "
           "<raw_root>/vsr/data/splits/; put the COCO 2017 images it uses in <raw_root>/vsr/data/images/ (flat: "
           "unzip train2017.zip and val2017.zip from images.cocodataset.org with -j, or the authors' "
           "vsr_images.zip linked from data/README.md).",
))
register_source(DatasetSource(
    "coco", ("annotations/captions_train2017.json", "train2017", "generated/manifest.jsonl"),
    (Archive("http://images.cocodataset.org/annotations/annotations_trainval2017.zip", "coco"),
     Archive(_COCO + "train2017.zip", "coco")),
    notes="the generated half of Forensic_Detection has no download: render three images per COCO train2017 "
          "image from its first caption (the paper: Stable Diffusion XL) into coco/generated/ and list each in "
          "coco/generated/manifest.jsonl as {\"file\", \"image_id\", \"caption\", \"generator\"} (docs/data.md)",
))
