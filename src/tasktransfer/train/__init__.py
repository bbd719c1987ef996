"""LoRA fine-tuning of the language model of a Qwen2.5-VL on canonical splits."""
