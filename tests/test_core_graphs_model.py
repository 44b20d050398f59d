"""Input graphs (chunk means, normalisation, node signals, adjacency) and the GCN's shapes and layers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gcnprune.data import SyntheticConfig, make_synthetic
from gcnprune.experiments.profiles import get_profile
from gcnprune.graphs import FeatureConfig, chunk_means, node_signals, normalise, normalised_adjacency, trajectories
from gcnprune.model import GCN, ModelConfig

# --- chunk means ----------------------------------------------------------------------------------


def ramp(frames: int, joints: int = 2) -> np.ndarray:
    """Frame t, joint j, axis a holds 100 t + 10 j + a: every mean is easy to compute by hand."""
    t = np.arange(frames)[:, None, None]
    j = np.arange(joints)[None, :, None]
    a = np.arange(3)[None, None, :]
    return (100.0 * t + 10.0 * j + a).astype(np.float32)


def test_chunk_means_by_hand():
    seq = ramp(10)
    got = chunk_means(seq, 3)  # array_split: frames 0-3, 4-6, 7-9
    assert got.shape == (3, 2, 3) and got.dtype == np.float32
    for c, frames in enumerate([[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]):
        np.testing.assert_allclose(got[c], seq[frames].mean(axis=0))
    np.testing.assert_allclose(got[:, 0, 0], [150.0, 500.0, 800.0])


@pytest.mark.parametrize("frames, chunks", [(8, 8), (9, 4), (46, 8), (10, 1)])
def test_chunk_means_cover_every_frame_once(frames, chunks):
    seq = np.random.default_rng(frames).normal(size=(frames, 4, 3)).astype(np.float32)
    got = chunk_means(seq, chunks)
    assert got.shape == (chunks, 4, 3)
    sizes = [len(p) for p in np.array_split(np.arange(frames), chunks)]
    assert max(sizes) - min(sizes) <= 1
    # weighted by chunk length, the chunk means average back to the sequence mean
    np.testing.assert_allclose((got * np.array(sizes)[:, None, None]).sum(0) / frames, seq.mean(0), atol=1e-5)
    # chunks are in time order: on a ramp they increase
    ramped = chunk_means(ramp(frames), chunks)
    assert (np.diff(ramped[:, 0, 0]) > 0).all()


@pytest.mark.parametrize("frames, chunks", [(1, 4), (3, 8), (5, 8)])
def test_chunk_means_shorter_than_chunks(frames, chunks):
    seq = ramp(frames)
    got = chunk_means(seq, chunks)
    assert got.shape == (chunks, 2, 3)
    assert np.isfinite(got).all()
    # each chunk is one of the frames, repeated in time order, and every frame is used
    index = np.rint(got[:, 0, 0] / 100).astype(int)
    np.testing.assert_array_equal(got, seq[index])
    assert (np.diff(index) >= 0).all() and set(index.tolist()) == set(range(frames))


def test_feature_config_validation():
    with pytest.raises(ValueError):
        FeatureConfig(chunks=0)
    assert FeatureConfig(chunks=5, relative=False).signal_size() == 15
    assert FeatureConfig(chunks=5, velocities=True, relative=False).signal_size() == 30


# --- normalisation --------------------------------------------------------------------------------


@pytest.mark.parametrize("centre", [(0,), (2, 5)])
def test_normalise_centre_and_radius(centre):
    rng = np.random.default_rng(3)
    seq = (rng.normal(size=(13, 6, 3)) * 200 + np.array([1000.0, -50.0, 3000.0])).astype(np.float32)
    out = normalise(seq, centre)
    assert out.shape == seq.shape and out.dtype == np.float32
    np.testing.assert_allclose(out[:, list(centre)].mean(axis=(0, 1)), 0.0, atol=1e-5)
    np.testing.assert_allclose(np.sqrt((out.astype(np.float64) ** 2).sum(-1).mean()), 1.0, rtol=1e-5)
    # invariant to translation and scale of the input
    np.testing.assert_allclose(normalise(seq * 3 + 7, centre), out, atol=1e-4)


def test_normalise_rejects_degenerate_sequence():
    with pytest.raises(ValueError):
        normalise(np.ones((4, 3, 3), dtype=np.float32), (0,))


# --- node signals ---------------------------------------------------------------------------------


def test_node_signals_shape_and_order():
    chunks, joints = 4, 5
    chunked = torch.randn(2, chunks, joints, 3)
    config = FeatureConfig(chunks=chunks, relative=False)
    x = node_signals(chunked, config)
    assert x.shape == (2, joints, config.signal_size()) == (2, joints, 12)
    for b in range(2):
        for j in range(joints):
            expected = torch.cat([chunked[b, c, j] for c in range(chunks)])
            assert torch.equal(x[b, j], expected)


def test_node_signals_with_velocities():
    chunks, joints = 3, 4
    chunked = torch.randn(2, chunks, joints, 3)
    config = FeatureConfig(chunks=chunks, velocities=True, relative=False)
    x = node_signals(chunked, config)
    plain = node_signals(chunked, FeatureConfig(chunks=chunks, relative=False))
    assert x.shape == (2, joints, config.signal_size()) == (2, joints, 2 * plain.shape[-1])
    blocks = x.view(2, joints, chunks, 6)
    assert torch.equal(blocks[..., :3].flatten(2), plain)  # positions, in time order
    velocity = blocks[..., 3:]
    assert torch.equal(velocity[:, :, 0], torch.zeros(2, joints, 3))  # no velocity before the first chunk
    for c in range(1, chunks):
        assert torch.allclose(velocity[:, :, c], (chunked[:, c] - chunked[:, c - 1]))


def test_trajectories_stack_normalised_chunk_means():
    data = make_synthetic(
        SyntheticConfig(num_subjects=2, per_class_per_subject=1, num_folds=2, min_frames=3, max_frames=9)
    )
    config = FeatureConfig(chunks=6)
    t = trajectories(data, config)
    assert t.shape == (len(data), 6, 15, 3) and t.dtype == torch.float32
    for i in (0, len(data) - 1):
        expected = chunk_means(normalise(data.sequences[i], data.centre_joints), 6)
        np.testing.assert_array_equal(t[i].numpy(), expected)


# --- adjacency ------------------------------------------------------------------------------------


def test_normalised_adjacency():
    a = np.zeros((4, 4), dtype=np.float32)
    for i, j in [(0, 1), (1, 2), (1, 3)]:
        a[i, j] = a[j, i] = 1
    n = normalised_adjacency(a)
    assert n.dtype == torch.float32 and n.shape == (4, 4)
    assert torch.allclose(n, n.T)
    degree = torch.tensor([2.0, 4.0, 2.0, 2.0])  # with self loops
    assert torch.allclose(torch.diag(n), 1 / degree)
    assert torch.isclose(n[0, 1], 1 / torch.sqrt(degree[0] * degree[1]))
    assert n[0, 2] == 0 and n[2, 3] == 0
    # the largest eigenvalue of D^-1/2 (A + I) D^-1/2 is 1
    assert torch.isclose(torch.linalg.eigvalsh(n).max(), torch.tensor(1.0), atol=1e-5)


# --- model ----------------------------------------------------------------------------------------

SMOKE = get_profile("smoke").model
JOINTS, FEATURES, CLASSES = 15, 12, 10


def make_model(config: ModelConfig = SMOKE, joints: int = JOINTS) -> GCN:
    torch.manual_seed(0)
    a = np.zeros((joints, joints), dtype=np.float32)
    for j in range(joints - 1):
        a[j, j + 1] = a[j + 1, j] = 1
    return GCN(joints, FEATURES, CLASSES, normalised_adjacency(a), config)


def test_output_shape():
    model = make_model().eval()
    for batch in (1, 5):
        out = model(torch.randn(batch, JOINTS, FEATURES))
        assert out.shape == (batch, CLASSES)
        assert torch.isfinite(out).all()


def test_parameter_count_is_sum_of_numel():
    model = make_model()
    assert model.parameter_count() == sum(p.numel() for p in model.parameters())
    c = SMOKE
    width = (c.heads + 1) * c.head_channels
    expected = (
        3 * (FEATURES * c.heads * c.head_channels + c.heads * c.head_channels)  # query, key, value
        + FEATURES * c.head_channels
        + c.head_channels  # adjacency head
        + width * c.graph_channels
        + c.graph_channels
        + JOINTS * c.graph_channels * c.hidden
        + c.hidden
        + c.hidden * CLASSES
        + CLASSES
    )
    assert model.parameter_count() == expected


def test_prunable_layers_exclude_classifier_by_default():
    model = make_model()
    layers = model.prunable_layers()
    assert list(layers) == ["attention.query", "attention.key", "attention.value", "attention.adjacency_value",
                            "graph_conv.linear", "hidden"]  # fmt: skip
    assert "classifier" not in layers
    assert all(isinstance(layer, torch.nn.Linear) for layer in layers.values())
    assert layers["hidden"] is model.hidden


def test_prunable_layers_include_classifier_when_asked():
    model = make_model(ModelConfig(**{**SMOKE.__dict__, "prune_classifier": True}))
    layers = model.prunable_layers()
    assert list(layers)[-1] == "classifier" and layers["classifier"] is model.classifier


def test_prunable_layers_without_adjacency_head():
    model = make_model(ModelConfig(**{**SMOKE.__dict__, "adjacency_head": False}))
    assert "attention.adjacency_value" not in model.prunable_layers()
    assert model.attention.out_features == SMOKE.heads * SMOKE.head_channels
    assert model(torch.randn(2, JOINTS, FEATURES)).shape == (2, CLASSES)


def test_biases_never_prunable():
    model = make_model(ModelConfig(**{**SMOKE.__dict__, "prune_classifier": True}))
    prunable = {id(layer.weight) for layer in model.prunable_layers().values()}
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    assert biases and all(id(b) not in prunable for b in biases)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    assert {id(w) for w in weights} == prunable  # with the classifier, every weight matrix is prunable


def test_attention_rows_sum_to_one():
    model = make_model()
    a = model.attention.attention(torch.randn(3, JOINTS, FEATURES) * 5)
    assert a.shape == (3, SMOKE.heads, JOINTS, JOINTS)
    assert (a >= 0).all()
    assert torch.allclose(a.sum(-1), torch.ones(3, SMOKE.heads, JOINTS), atol=1e-5)


@pytest.mark.parametrize("bad", [dict(heads=0), dict(hidden=-1), dict(dropout=1.0), dict(dropout=-0.1)])
def test_model_config_validation(bad):
    with pytest.raises(ValueError):
        ModelConfig(**bad)


def test_eval_is_deterministic_and_train_uses_dropout():
    model = make_model(ModelConfig(**{**SMOKE.__dict__, "dropout": 0.5}))
    x = torch.randn(4, JOINTS, FEATURES)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    torch.manual_seed(1)
    a = model(x)
    torch.manual_seed(2)
    assert not torch.equal(a, model(x))


def test_node_signals_with_joint_relative_positions():
    chunks, joints = 3, 4
    chunked = torch.randn(2, chunks, joints, 3)
    roots = (0, 0, 3, 3)  # two "bodies" rooted at joints 0 and 3
    config = FeatureConfig(chunks=chunks, relative=True)
    x = node_signals(chunked, config, roots)
    plain = node_signals(chunked, FeatureConfig(chunks=chunks, relative=False))
    assert x.shape == (2, joints, config.signal_size()) == (2, joints, 2 * plain.shape[-1])
    blocks = x.view(2, joints, chunks, 6)  # per chunk: the position, then the joint-relative position
    assert torch.equal(blocks[..., :3].flatten(2), plain)
    relative = blocks[..., 3:]
    for j, r in enumerate(roots):
        assert torch.allclose(relative[:, j], chunked[:, :, j] - chunked[:, :, r])
    assert torch.equal(relative[:, 0], torch.zeros_like(relative[:, 0]))  # a root sees itself at the origin
    shifted = node_signals(chunked + torch.tensor([1.0, -2.0, 0.5]), config, roots).view(2, joints, chunks, 6)
    assert torch.allclose(shifted[..., 3:], relative, atol=1e-6)  # translation-free


def test_joint_relative_positions_need_the_roots():
    with pytest.raises(ValueError, match="root"):
        node_signals(torch.randn(1, 2, 3, 3), FeatureConfig(chunks=2, relative=True))


def test_signal_size_counts_every_part():
    assert FeatureConfig(chunks=5, velocities=True, relative=True).signal_size() == 45


def test_sbu_roots_are_each_persons_torso(small_sbu):
    from gcnprune.data import load_sbu

    roots = load_sbu(small_sbu.folder).joint_roots()
    assert roots == (2,) * 15 + (17,) * 15


def test_hand_frame_reads_the_same_hand_the_same_however_it_is_held():
    from scipy.spatial.transform import Rotation

    from gcnprune.graphs import hand_frame

    rng = np.random.default_rng(0)
    hand = rng.normal(size=(6, 21, 3)).astype(np.float64)
    palm = (0, 2, 3, 5)
    turned = hand @ Rotation.random(random_state=1).as_matrix().T * 2.5 + np.array([10.0, -3.0, 7.0])
    framed = hand_frame(hand, palm)
    np.testing.assert_allclose(hand_frame(turned, palm), framed, atol=1e-5)  # rotation, scale, position removed
    mean = framed.mean(axis=0)
    np.testing.assert_allclose(mean[list(palm)].mean(axis=0), 0.0, atol=1e-6)  # the palm's centre at the origin
    axis = mean[3] - mean[0]
    np.testing.assert_allclose(axis / np.linalg.norm(axis), [1.0, 0.0, 0.0], atol=1e-6)
    assert np.linalg.norm(axis) == pytest.approx(1.0)  # the wrist-to-middle-knuckle length is the unit
    normal = np.cross(mean[2] - mean[0], mean[5] - mean[0])
    assert abs(normal[1]) < 1e-5 and normal[2] > 0  # z: the palm's normal, made square to the x axis
    with pytest.raises(ValueError, match="palm joints coincide"):
        hand_frame(np.zeros((3, 21, 3)), palm)


def test_hand_frame_needs_a_dataset_that_declares_a_palm():
    data = make_synthetic(SyntheticConfig(num_subjects=5, per_class_per_subject=1))
    assert not data.palm
    with pytest.raises(ValueError, match="hand_frame needs the dataset's palm joints"):
        trajectories(data, FeatureConfig(chunks=2, hand_frame=True))
