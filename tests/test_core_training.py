"""Training: determinism from the seed, the validation split, augmentation, and the methods' fit."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from gcnprune.data import load_dataset
from gcnprune.experiments import build, make_config, train_run
from gcnprune.graphs import trajectories
from gcnprune.masks import get_mask, kept_count
from gcnprune.methods import get_method
from gcnprune.metrics import class_mean_accuracy
from gcnprune.train import TrainConfig, augment, seed_everything, validation_split

VOLATILE = {"train_seconds", "curve_seconds", "git_commit"}


def train(config, results, data_root, progress):
    """One run trained from scratch: its model and metrics."""
    model, _, metrics = train_run(config, results, data_root, progress)
    return model, metrics


def smoke(method: str = "dense", rate: float = 0.0, seed: int = 0, fold: int = 0, **kwargs):
    return make_config("synthetic", "smoke", fold, method, rate, seed, **kwargs)


def stable(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in VOLATILE}


def assert_same_weights(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in a:
        assert torch.equal(a[k], b[k]), k


def fit_dense(config):
    model, trainer = build(config, None, False)
    losses = trainer.fit(model, config.train.epochs, config.train.lr)
    return model, trainer, losses


# --- determinism ----------------------------------------------------------------------------------


def test_same_config_same_losses_accuracy_and_weights():
    config = smoke()
    model_a, trainer_a, losses_a = fit_dense(config)
    model_b, trainer_b, losses_b = fit_dense(config)
    assert len(losses_a) == config.train.epochs and all(math.isfinite(x) for x in losses_a)
    assert losses_a == losses_b
    assert trainer_a.evaluate(model_a) == trainer_b.evaluate(model_b)
    assert_same_weights(model_a.state_dict(), model_b.state_dict())


def test_train_twice_into_different_results_dirs(tmp_path):
    config = smoke()
    model_a, metrics_a = train(config, tmp_path / "a", None, False)
    model_b, metrics_b = train(config, tmp_path / "b", None, False)
    assert stable(metrics_a) == stable(metrics_b)
    assert_same_weights(model_a.state_dict(), model_b.state_dict())


def test_different_seed_different_weights(tmp_path):
    model_a, _ = train(smoke(seed=0), tmp_path, None, False)
    model_b, _ = train(smoke(seed=1), tmp_path, None, False)
    a, b = model_a.state_dict(), model_b.state_dict()
    assert any(not torch.equal(a[k], b[k]) for k in a if k.endswith("weight"))


def test_training_changes_the_weights_and_lowers_the_loss():
    config = smoke()
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, augment=False, epochs=25))
    model, trainer = build(config, None, False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    losses = trainer.fit(model, config.train.epochs, config.train.lr)
    assert not model.training  # fit leaves the model in evaluation mode
    assert trainer.epochs_run == 25
    assert losses[-1] < losses[0]
    after = model.state_dict()
    assert all(not torch.equal(before[k], after[k]) for k in before if k.endswith("weight"))
    assert all(torch.equal(before[k], after[k]) for k in before if k.endswith("adjacency"))  # buffers fixed


def test_zero_epochs_is_a_no_op():
    model, trainer = build(smoke(), None, False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert trainer.fit(model, 0, 1e-3) == []
    assert_same_weights(before, model.state_dict())


# --- data for a run -------------------------------------------------------------------------------


def test_prepare_uses_the_fold_split():
    config = smoke(fold=1)
    model, trainer = build(config, None, False)
    n_train, n_test = len(trainer.train_y), len(trainer.test_y)
    assert n_train + n_test == 100 and n_test == 20  # smoke synthetic: 5 subjects × 10 classes × 2, 5 folds
    assert trainer.train_x.shape[1:] == (config.features.chunks, 15, 3)
    assert trainer.train_x.shape[0] == n_train


def test_prepared_runs_share_the_trajectories_computed_once_but_not_their_memory():
    """_prepare computes a dataset's trajectories once per process; every run gets copies, so one that
    changed its data in place leaves the next run's equal to trajectories computed afresh."""
    config = smoke(fold=1)
    _, first = build(config, None, False)
    first.train_x.add_(1.0)
    first.test_x.add_(1.0)
    _, second = build(config, None, False)
    dataset = load_dataset(config.dataset, None, **config.dataset_options)
    fresh = trajectories(dataset, config.features)
    train_idx, test_idx = dataset.split_indices(config.fold)
    assert torch.equal(second.train_x, fresh[train_idx]) and torch.equal(second.test_x, fresh[test_idx])


def test_prepare_validation_split_holds_out_part_of_training():
    config = smoke(evaluate="validation")
    _, test_trainer = build(smoke(), None, False)
    _, trainer = build(config, None, False)
    n_train = len(test_trainer.train_y)
    held = len(trainer.test_y)
    assert len(trainer.train_y) + held == n_train
    assert held == 20  # one whole subject of the fold's four (10 classes × 2), the groups of synthetic data


# --- validation split -----------------------------------------------------------------------------


def make_labels():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(5), [10, 7, 3, 20, 1])
    return rng.permutation(labels)


@pytest.mark.parametrize("fraction", [0.2, 0.5])
def test_validation_split_is_stratified_and_disjoint(fraction):
    labels = make_labels()
    indices = np.flatnonzero(np.arange(len(labels)) % 7 != 0)  # a training subset, not 0..n-1
    kept, held = validation_split(labels, indices, fraction, seed=3)
    assert set(kept.tolist()).isdisjoint(held.tolist())
    assert sorted(kept.tolist() + held.tolist()) == sorted(indices.tolist())
    assert (np.diff(kept) > 0).all() and (np.diff(held) > 0).all()
    for label in np.unique(labels[indices]):
        members = int((labels[indices] == label).sum())
        assert int((labels[held] == label).sum()) == int(round(fraction * members))


def test_validation_split_deterministic_and_seeded():
    labels = make_labels()
    indices = np.arange(len(labels))
    a = validation_split(labels, indices, 0.3, seed=0)
    b = validation_split(labels, indices, 0.3, seed=0)
    c = validation_split(labels, indices, 0.3, seed=1)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


# --- train config and augmentation ----------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        dict(epochs=0),
        dict(finetune_epochs=-1),
        dict(batch_size=0),
        dict(lr=0),
        dict(finetune_lr=-1.0),
        dict(validation_fraction=0.0),
        dict(validation_fraction=1.0),
    ],  # fmt: skip
)
def test_train_config_validation(bad):
    with pytest.raises(ValueError):
        TrainConfig(**bad)


def test_augment_rotates_about_the_vertical_axis():
    x = torch.randn(5, 4, 6, 3)
    config = TrainConfig(rotation_deg=40.0, scale=0.0, noise=0.0)
    out = augment(x, config, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert torch.allclose(out[..., 1], x[..., 1], atol=1e-6)  # height unchanged
    assert torch.allclose(out[..., [0, 2]].norm(dim=-1), x[..., [0, 2]].norm(dim=-1), atol=1e-5)
    assert not torch.allclose(out, x)
    # same generator state, same augmentation
    again = augment(x, config, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)


def test_augment_scale_bounds():
    x = torch.randn(64, 2, 3, 3)
    config = TrainConfig(rotation_deg=0.0, scale=0.1, noise=0.0)
    out = augment(x, config, torch.Generator().manual_seed(1))
    ratio = out.flatten(1).norm(dim=1) / x.flatten(1).norm(dim=1)
    assert (ratio >= 0.9 - 1e-5).all() and (ratio <= 1.1 + 1e-5).all()
    assert ratio.std() > 0


def test_augment_mirrors_half_the_samples():
    x = torch.randn(64, 2, 4, 3)
    mirror = torch.tensor([1, 0, 3, 2])
    config = TrainConfig(rotation_deg=0.0, scale=0.0, noise=0.0, mirror=True)
    out = augment(x, config, torch.Generator().manual_seed(0), mirror)
    reflected = x[:, :, mirror] * torch.tensor([-1.0, 1.0, 1.0])
    same = torch.isclose(out, x, atol=1e-6).flatten(1).all(1)
    flipped = torch.isclose(out, reflected, atol=1e-6).flatten(1).all(1)
    assert (same ^ flipped).all()  # each sample is either untouched or mirrored
    assert 10 < int(flipped.sum()) < 54
    # without the flag, or without a mirror, nothing is mirrored
    plain = dataclasses.replace(config, mirror=False)
    assert torch.allclose(augment(x, plain, torch.Generator().manual_seed(0), mirror), x, atol=1e-6)
    assert torch.allclose(augment(x, config, torch.Generator().manual_seed(0), None), x, atol=1e-6)


def test_seed_everything_seeds_global_and_returned_generator():
    g1 = seed_everything(5)
    a, ga = torch.rand(3), torch.rand(3, generator=g1)
    g2 = seed_everything(5)
    assert torch.equal(a, torch.rand(3)) and torch.equal(ga, torch.rand(3, generator=g2))


# --- methods' fit ---------------------------------------------------------------------------------


def test_dense_method_rejects_a_rate():
    model, trainer = build(smoke(), None, False)
    with pytest.raises(ValueError, match="rate must be 0"):
        get_method("dense").fit(model, trainer, 0.5)


@pytest.mark.parametrize("scope", ["global", "layer"])
def test_magnitude_fit_leaves_exact_mask_after_finetuning(scope):
    config = smoke("magnitude", 0.9, method_config={"scope": scope})
    model, trainer = build(config, None, False)
    trainer.fit(model, 2, 1e-3)
    get_method("magnitude", {"scope": scope}).fit(model, trainer, 0.9)
    mask = get_mask(model)
    assert mask.num_nonzero() == kept_count(mask.num_dense(), 0.9)
    assert trainer.epochs_run == 2 + config.train.finetune_epochs
    model.eval()
    for name, layer in model.prunable_layers().items():
        assert (layer.weight[mask[name] == 0] == 0).all()


def test_class_mean_accuracy_averages_each_classes_accuracy():
    """3 of 4 right in class 0, 1 of 2 in class 1, none of class 2's one: overall 4/7, class mean (3/4+1/2+0)/3."""
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 2])
    predicted = torch.tensor([0, 0, 0, 1, 1, 0, 1])
    assert math.isclose(class_mean_accuracy(predicted, labels), (3 / 4 + 1 / 2 + 0) / 3)
    assert math.isclose(float((predicted == labels).double().mean()), 4 / 7)
    balanced = torch.tensor([0, 0, 1, 1])
    assert math.isclose(class_mean_accuracy(torch.tensor([0, 1, 1, 1]), balanced), 3 / 4)  # = overall when balanced


def test_every_run_records_its_class_mean_accuracy(tmp_path):
    model, trainer, metrics = train_run(smoke(), tmp_path, None, False)
    assert 0.0 <= metrics["class_mean_accuracy"] <= 1.0
    assert (metrics["accuracy"], metrics["class_mean_accuracy"]) == trainer.held_out_scores(model)
    assert metrics["accuracy"] == trainer.evaluate(model)


def test_people_swap_exchanges_the_two_people_of_about_half_the_samples_and_only_when_asked():
    from dataclasses import replace as _replace

    from gcnprune.data import dataset_info
    from gcnprune.train import TrainConfig, augment

    swap = torch.tensor(dataset_info("sbu").swap)
    assert sorted(swap.tolist()) == list(range(30)) and swap[0] == 15 and swap[15] == 0
    x = torch.randn(400, 2, 30, 3)
    still = TrainConfig(augment=True, rotation_deg=0.0, scale=0.0, noise=0.0)
    off = augment(x, still, torch.Generator().manual_seed(0), swap=swap)
    assert torch.equal(off, x)  # off: nothing moves, and no random number is drawn for it
    on = augment(x, _replace(still, swap_people=True), torch.Generator().manual_seed(0), swap=swap)
    exchanged = (on == x[:, :, swap]).flatten(1).all(1)
    assert torch.equal(exchanged | (on == x).flatten(1).all(1), torch.ones(400, dtype=torch.bool))
    assert 150 < int(exchanged.sum()) < 250
