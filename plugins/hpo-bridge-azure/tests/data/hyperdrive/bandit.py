# Seed 000: random sampling with a bandit policy (azureml-sdk v1). Read with ast, never run.
from azureml.train.hyperdrive import (BanditPolicy, HyperDriveConfig, PrimaryMetricGoal,
                                      RandomParameterSampling, choice, loguniform, uniform)

param_sampling = RandomParameterSampling({
    "--learning_rate": uniform(0.05, 0.1),
    "--batch_size": choice(16, 32, 64, 128),
    "--weight_decay": loguniform(-6, -1),
})
early_termination_policy = BanditPolicy(slack_factor=0.2, evaluation_interval=1,
                                        delay_evaluation=5)
hd_config = HyperDriveConfig(run_config=src,
                             hyperparameter_sampling=param_sampling,
                             policy=early_termination_policy,
                             primary_metric_name="accuracy",
                             primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
                             max_total_runs=20,
                             max_concurrent_runs=4,
                             max_duration_minutes=120)
