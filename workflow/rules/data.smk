if config["data"]["mode"] == "generated":

    rule generate_split:
        """Synthetic canonical split (demo and planted-structure test), no raw data needed."""
        output:
            "results/data/{split}/{task}.parquet",
        log:
            "results/logs/generate_split/{split}/{task}.log",
        benchmark:
            "results/benchmarks/generate_split/{split}/{task}.tsv"
        wildcard_constraints:
            split="train|eval",
        conda:
            "../../envs/data.yaml"
        params:
            spec=get_generated_spec,
        script:
            "../scripts/generate_split.py"

else:

    include: "data_raw.smk"
