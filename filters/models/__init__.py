"""Training and loading of the learned scorers' models (`corpus models train`)."""
