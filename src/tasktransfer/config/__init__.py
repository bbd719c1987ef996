"""Study configuration: schema, validation with messages that name the bad key, accessors."""

from .validate import ConfigError, check_config, load_config, schema_path

__all__ = ["ConfigError", "check_config", "load_config", "schema_path"]
