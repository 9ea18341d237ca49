"""A valid CreateHyperParameterTuningJob request (script mode), shared by the tests."""

from __future__ import annotations

from typing import Any

BASE_REQUEST: dict[str, Any] = {
    "HyperParameterTuningJobConfig": {
        "Strategy": "Random",
        "RandomSeed": 7,
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "test:loss"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
        "ParameterRanges": {
            "ContinuousParameterRanges": [
                {"Name": "lr", "MinValue": "0.001", "MaxValue": "0.1",
                 "ScalingType": "Logarithmic"}
            ],
            "CategoricalParameterRanges": [{"Name": "batch-size", "Values": ["32", "64"]}],
        },
    },
    "TrainingJobDefinition": {
        "StaticHyperParameters": {
            "sagemaker_program": '"train.py"',
            "sagemaker_submit_directory": '"s3://code-bucket/job/sourcedir.tar.gz"',
            "epochs": "2",
        },
        "AlgorithmSpecification": {
            "TrainingImage": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch:2.1-cpu",
            "TrainingInputMode": "File",
            "MetricDefinitions": [
                {"Name": "test:loss", "Regex": "Test set: Average loss: ([0-9.]+)"}
            ],
        },
        "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
        "OutputDataConfig": {"S3OutputPath": "s3://code-bucket/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                           "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    },
}
