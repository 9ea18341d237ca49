"""Azure Machine Learning sweep jobs (v2) as an hpo-bridge backend."""

__version__ = "0.1.0"
