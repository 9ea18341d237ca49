"""Amazon SageMaker's own tuner (CreateHyperParameterTuningJob) as an hpo-bridge backend."""

__version__ = "0.1.0"
