"""Entry point of rule data_cards (logic: tasktransfer.provenance.data_cards)."""

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    from tasktransfer.atomic import write_text
    from tasktransfer.provenance import read_cards, render_cards_html

    cards = read_cards(snakemake.input.cards)
    write_text(snakemake.output.html, render_cards_html(cards))
    print(f"data cards: {len(cards)} training splits")
