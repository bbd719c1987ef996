# Downloads of the part-2 source datasets (image-level tasks), as local rules: they run on
# the login node (compute nodes usually have no internet) and are skipped when the files
# are already there. Every dataset lands in its own folder under data.raw_root, in the
# layout the builders read (docs/data.md, "Raw layout"). The BLINK evaluation data comes
# from the hub via the loader (rule blink_eval in data_raw.smk / `tasktransfer blink load`).
#
#   snakemake --cores 1 <raw_root>/tallyqa/train.json     # fetch one dataset


import os

RAW = config["data"]["raw_root"]
COCO_ZIP = "http://images.cocodataset.org/zips"


localrules:
    download_tallyqa,
    download_nights,
    download_tara,
    download_wikiart,
    download_vsr,
    download_coco_forensic,
    generated_images_forensic,


rule download_tallyqa:
    """TallyQA questions (GitHub zip) + Visual Genome and COCO 2014 images (~35 GB)."""
    output:
        train=f"{RAW}/tallyqa/train.json",
        test=f"{RAW}/tallyqa/test.json",
    log:
        "results/logs/download/tallyqa.log",
    params:
        root=f"{RAW}/tallyqa",
    shell:
        """
        (set -euo pipefail; cd {params.root}
        wget -nv -O tallyqa.zip 'https://github.com/manoja328/tallyqa/blob/master/tallyqa.zip?raw=true'
        unzip -o -j tallyqa.zip '*.json' && rm tallyqa.zip
        wget -nv -c https://cs.stanford.edu/people/rak248/VG_100K_2/images.zip
        wget -nv -c https://cs.stanford.edu/people/rak248/VG_100K_2/images2.zip
        unzip -q -o images.zip && unzip -q -o images2.zip && rm images.zip images2.zip
        for s in train2014 val2014; do wget -nv -c {COCO_ZIP}/$s.zip; unzip -q -o $s.zip; rm $s.zip; done
        ) > {log} 2>&1
        """


rule download_nights:
    """DreamSim NIGHTS (ref/, distort/, data.csv), ~20k triplets."""
    output:
        f"{RAW}/nights/data.csv",
    log:
        "results/logs/download/nights.log",
    params:
        parent=RAW,
    shell:
        """
        (set -euo pipefail; cd {params.parent}
        wget -nv -c -O nights.zip https://data.csail.mit.edu/nights/nights.zip
        unzip -q -o nights.zip && rm nights.zip
        ) > {log} 2>&1
        """


rule download_tara:
    """TARA jsonl splits (zeyofu/TARA on GitHub) and the NYT images they link to."""
    output:
        f"{RAW}/tara/input/train.jsonl",
    log:
        "results/logs/download/tara.log",
    params:
        root=f"{RAW}/tara",
        script=os.path.join(workflow.basedir, "scripts", "download_tara_images.py"),
    shell:
        """
        (set -euo pipefail; mkdir -p {params.root}/input; cd {params.root}
        for s in train gold_dev gold_test; do
          wget -nv -O input/$s.jsonl.part https://raw.githubusercontent.com/zeyofu/TARA/main/input/$s.jsonl
        done
        python {params.script} input images  # pictures that fail are listed in the log and skipped
        for s in train gold_dev gold_test; do mv input/$s.jsonl.part input/$s.jsonl; done
        ) > {log} 2>&1
        """


rule download_wikiart:
    """WikiArt painting-style classification (27 styles) as the hub's Parquet files."""
    output:
        f"{RAW}/wikiart/.complete",
    log:
        "results/logs/download/wikiart.log",
    params:
        root=f"{RAW}/wikiart",
    shell:
        """
        (set -euo pipefail
        huggingface-cli download keremberke/painting-style-classification --repo-type dataset \
            --revision refs/convert/parquet --local-dir {params.root}
        touch {output}
        ) > {log} 2>&1
        """


rule download_vsr:
    """VSR splits (cambridgeltl/visual-spatial-reasoning) + COCO 2017 images into data/images/."""
    output:
        f"{RAW}/vsr/data/splits/random/train.jsonl",
    log:
        "results/logs/download/vsr.log",
    params:
        root=f"{RAW}/vsr",
    shell:
        """
        (set -euo pipefail; cd {params.root}
        base=https://raw.githubusercontent.com/cambridgeltl/visual-spatial-reasoning/master/data/splits
        for k in random zeroshot; do mkdir -p data/splits/$k; for s in dev test train; do
          wget -nv -O data/splits/$k/$s.jsonl.part $base/$k/$s.jsonl; done; done
        mkdir -p data/images
        for s in train2017 val2017; do wget -nv -c {COCO_ZIP}/$s.zip; unzip -q -o -j $s.zip -d data/images; rm $s.zip; done
        for k in random zeroshot; do for s in dev test train; do
          mv data/splits/$k/$s.jsonl.part data/splits/$k/$s.jsonl; done; done
        ) > {log} 2>&1
        """


rule download_coco_forensic:
    """COCO 2017 captions and train images (the real photographs of Forensic_Detection)."""
    output:
        f"{RAW}/coco/annotations/captions_train2017.json",
    log:
        "results/logs/download/coco.log",
    params:
        root=f"{RAW}/coco",
    shell:
        """
        (set -euo pipefail; mkdir -p {params.root}; cd {params.root}
        wget -nv -c http://images.cocodataset.org/annotations/annotations_trainval2017.zip
        wget -nv -c {COCO_ZIP}/train2017.zip
        unzip -q -o train2017.zip && rm train2017.zip
        unzip -o annotations_trainval2017.zip 'annotations/captions_*' && rm annotations_trainval2017.zip
        ) > {log} 2>&1
        """


rule generated_images_forensic:
    """The generated half of Forensic_Detection has no download: it must be produced
    (the paper: Stable Diffusion XL, three images per COCO caption) on GPUs and placed in
    coco/generated/ with manifest.jsonl, one line per image:
    {"file": "sdxl/000000000009_0.jpg", "image_id": 9, "caption": "...", "generator": "sdxl-base-1.0"}.
    This rule only checks that the manifest exists and says what to do when it does not."""
    input:
        f"{RAW}/coco/annotations/captions_train2017.json",
    output:
        f"{RAW}/coco/generated/manifest.jsonl",
    log:
        "results/logs/download/coco_generated.log",
    shell:
        """
        echo "missing {output}: generate three images per COCO train2017 caption (e.g. SDXL) into" \
             "$(dirname {output}) and write the manifest (docs/data.md, Forensic_Detection)" | tee {log} >&2
        exit 1
        """
