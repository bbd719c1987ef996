if config["data"]["mode"] == "generated":

    rule generate_split:
        """Synthetic canonical split (demo and planted-structure test), no raw data needed."""
        output:
            "results/data/{split}/{task}.parquet",
        wildcard_constraints:
            split="train|eval",
        params:
            spec=get_generated_spec,
        log:
            "results/logs/generate_split/{split}/{task}.log",
        benchmark:
            "results/benchmarks/generate_split/{split}/{task}.tsv"
        conda:
            "../../envs/data.yaml"
        script:
            "../scripts/generate_split.py"

else:

    include: "data_raw.smk"
