from azureml.train.hyperdrive import *

param_sampling = RandomParameterSampling({
    "--lr": uniform(0.5, 0.1),
    "--units": choice(compute_units()),
})
hd_config = HyperDriveConfig(hyperparameter_sampling=param_sampling,
                             primary_metric_name="accuracy", max_total_runs=20)
