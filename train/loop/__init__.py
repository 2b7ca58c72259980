"""The training loop: epochs, schedule, health, validation on held-out classes, checkpoints, progress."""
