"""Other tools' configuration formats: read into the unified spec, and studies written back
out in their layouts. The interface is `ConfigFormat` (formats/base.py); formats register
through the `register_formats` hook; the built-in one is Vega's (formats/vega/)."""

from hpo_bridge.formats.base import ConfigFormat, Converted, Placed

__all__ = ["ConfigFormat", "Converted", "Placed"]
