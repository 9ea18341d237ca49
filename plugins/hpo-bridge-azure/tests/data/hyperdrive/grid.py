from azureml.train.hyperdrive import GridParameterSampling, HyperDriveConfig, choice

param_sampling = GridParameterSampling({"num_hidden_layers": choice(1, 2, 3),
                                        "batch_size": choice(16, 32)})
hd_config = HyperDriveConfig(run_config=src, hyperparameter_sampling=param_sampling,
                             primary_metric_name="accuracy", primary_metric_goal="MINIMIZE",
                             max_total_runs=6, max_concurrent_runs=2)
