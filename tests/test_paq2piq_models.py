"""PaQ-2-PiQ models (seed 003, section 4), the canvas, quality maps, NIMA / CNNIQA, Table 8."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from saliqa import canvas
from saliqa.models import paq2piq as P
from saliqa.models.iqa_baselines import CNNIQA, NIMA, cnniqa_patches, emd_loss, local_contrast_normalize
from saliqa.models.roi import roi_pool
from saliqa.plots_quality_maps import plot_quality_maps
from saliqa.quality_maps import (
    blend_quality_map,
    block_boxes,
    predict_block_scores,
    predict_block_scores_loop,
    upsample_scores,
)
from saliqa.scorecard import Scorecard, load_reference


def _seeded(factory, seed: int = 0):
    torch.manual_seed(seed)
    return factory()


@pytest.fixture(scope="module")
def roipool_model() -> P.RoIPoolModel:
    return _seeded(lambda: P.RoIPoolModel("resnet18", pretrained=False)).eval()


# ------------------------------------------------------------------------------------------
# canvas (section 4.1)
# ------------------------------------------------------------------------------------------


def test_offsets_centre_with_odd_margins() -> None:
    off = canvas.canvas_offsets([480, 640, 5], [640, 427, 6], 640)
    assert off.tolist() == [[0, 80], [106, 0], [317, 317]]
    assert off.dtype == torch.int64


def test_larger_than_canvas_goes_to_test_set() -> None:
    flags = canvas.larger_than_canvas([640, 641, 500, 700], [640, 100, 641, 700], (640, 640))
    assert flags.tolist() == [False, True, True, True]
    with pytest.raises(ValueError, match=r"picture 1 \(641x100"):
        canvas.canvas_offsets([640, 641], [640, 100])
    with pytest.raises(ValueError, match="differ in length"):
        canvas.larger_than_canvas([1, 2], [1])


def test_pad_to_canvas_white_centred_pixels_unchanged() -> None:
    a = torch.rand(3, 4, 6)
    b = torch.rand(3, 7, 3)
    batch, off = canvas.pad_to_canvas([a, b], (8, 9))
    assert batch.shape == (2, 3, 8, 9)
    assert off.tolist() == [[1, 2], [3, 0]]
    assert torch.equal(batch[0, :, 2:6, 1:7], a)
    assert torch.equal(batch[1, :, 0:7, 3:6], b)
    mask = torch.ones(8, 9, dtype=torch.bool)
    mask[2:6, 1:7] = False
    assert bool((batch[0][:, mask] == 1.0).all())  # white
    # a same-size batch tensor gives the same as the list
    same, off2 = canvas.pad_to_canvas(torch.stack([a, a]), (8, 9))
    assert torch.equal(same[0], batch[0]) and off2.tolist() == [[1, 2], [1, 2]]
    u8, _ = canvas.pad_to_canvas([torch.zeros(3, 2, 2, dtype=torch.uint8)], 4)
    assert u8.dtype == torch.uint8 and int(u8[0, 0, 0, 0]) == 255 and int(u8[0, 0, 1, 1]) == 0
    with pytest.raises(ValueError, match="larger than the canvas"):
        canvas.pad_to_canvas([torch.rand(3, 9, 2)], (8, 9))
    with pytest.raises(ValueError, match=r"images\[1\]"):
        canvas.pad_to_canvas([a, torch.rand(4, 4)], (8, 9))


def test_boxes_shifted_by_the_padding_offset() -> None:
    patches = torch.tensor([[[10.0, 20.0, 30.0, 40.0], [0.0, 0.0, 5.0, 5.0]]])
    off = canvas.canvas_offsets([100], [200], 640)  # left 220, top 270
    shifted = canvas.shift_boxes(patches, off)
    assert shifted.tolist() == [[[230.0, 290.0, 250.0, 310.0], [220.0, 270.0, 225.0, 275.0]]]
    rois = canvas.picture_and_patch_boxes([100], [200], patches, off)
    assert rois.shape == (1, 3, 4)
    assert rois[0, 0].tolist() == [220.0, 270.0, 420.0, 370.0]  # the picture's own box on the canvas
    assert torch.equal(rois[:, 1:], shifted)
    assert canvas.picture_boxes([100], [200]).tolist() == [[0.0, 0.0, 200.0, 100.0]]


# ------------------------------------------------------------------------------------------
# models (sections 4.1, 4.2, 4.4)
# ------------------------------------------------------------------------------------------


def test_head_layer_order_is_the_released_codes() -> None:
    head = P.quality_head(512)
    kinds = [type(m).__name__ for m in head]
    assert kinds == [
        "AdaptiveConcatPool2d",
        "Flatten",
        "BatchNorm1d",
        "Dropout",
        "Linear",
        "ReLU",
        "BatchNorm1d",
        "Dropout",
        "Linear",
    ]
    assert (head[3].p, head[7].p) == (0.25, 0.5)
    assert (head[4].in_features, head[4].out_features, head[8].out_features) == (1024, 512, 1)
    x = torch.randn(2, 3, 2, 2)
    pooled = P.AdaptiveConcatPool2d()(x)
    assert torch.equal(pooled[:, :3, 0, 0], x.amax(dim=(2, 3)))  # max first, as fastai
    assert torch.allclose(pooled[:, 3:, 0, 0], x.mean(dim=(2, 3)))


def test_shapes(roipool_model: P.RoIPoolModel) -> None:
    x = torch.rand(2, 3, 64, 64)
    boxes = torch.tensor([[[0, 0, 64, 64], [0, 0, 32, 32], [8, 8, 40, 50], [32, 32, 64, 64]]] * 2).float()
    base = _seeded(lambda: P.BaselineModel("resnet18", pretrained=False)).eval()
    feedback = _seeded(lambda: P.FeedbackModel("resnet18", pretrained=False)).eval()
    with torch.no_grad():
        assert base(x).shape == (2,)
        assert roipool_model(x, boxes).shape == (2, 4)
        assert roipool_model(x).shape == (2, 1)
        assert roipool_model(x, [boxes[0], boxes[1, :2]]).shape == (6,)
        out, head0 = feedback(x, boxes, return_head0=True)
    assert out.shape == (2, 4) and head0.shape == (2, 4)
    assert torch.equal(out[:, 1:], head0[:, 1:])  # patches: Head0; picture: Head1
    assert feedback.head1[2].in_features == 2 * 512 + 4  # pooled picture features + Head0's 4 predictions
    with pytest.raises(ValueError, match=r"\(B, n_rois, 4\)"):
        feedback(x, boxes[:, :3])
    with pytest.raises(ValueError, match="B = 2"):
        roipool_model(x, boxes[:1])


def test_roipool_equals_baseline_on_a_single_cell_map() -> None:
    """Same weights; a 32x32 input is one feature cell at stride 32: every 2x2 bin is that cell."""
    base = _seeded(lambda: P.BaselineModel("resnet18", pretrained=False)).eval()
    roi = P.RoIPoolModel("resnet18", pretrained=False).eval()
    roi.load_state_dict(base.state_dict())
    x = torch.rand(3, 3, 32, 32)
    cell = torch.zeros(3, 1, 4)  # [0, 0, W - 32, H - 32]: exactly the map's one cell (inclusive end)
    with torch.no_grad():
        assert torch.allclose(roi(x, cell)[:, 0], base(x), atol=1e-6)
        # the released code's [0, 0, W, H] spans a second, clipped cell: those bins pool to 0
        pooled = roi.roi_pool(roi.features(x), torch.tensor([[0.0, 0, 0, 32, 32]]))
        assert bool((pooled[0, :, 1, :] == 0).all()) and bool((pooled[0, :, :, 1] == 0).all())
        assert not torch.allclose(roi(x)[:, 0], base(x), atol=1e-3)


def test_whole_picture_roi_keeps_the_max_half_only(roipool_model: P.RoIPoolModel) -> None:
    """On a larger map the 2x2 bins' max is the global max, their mean is not the global mean."""
    x = torch.rand(2, 3, 128, 128)
    with torch.no_grad():
        feats = roipool_model.features(x)
        rois = torch.tensor([[0.0, 0, 0, 128, 128], [1.0, 0, 0, 128, 128]])
        pooled = P.AdaptiveConcatPool2d()(roipool_model.roi_pool(feats, rois))[:, :, 0, 0]
        global_ = P.AdaptiveConcatPool2d()(feats)[:, :, 0, 0]
    c = feats.shape[1]
    assert torch.equal(pooled[:, :c], global_[:, :c])
    assert not torch.allclose(pooled[:, c:], global_[:, c:])


def test_feedback_picture_pool_variants() -> None:
    x = torch.rand(1, 3, 64, 96)
    boxes = torch.tensor([[[16, 0, 80, 64], [16, 0, 40, 24], [40, 20, 60, 40], [60, 40, 80, 64]]]).float()
    fb = _seeded(lambda: P.FeedbackModel("resnet18", pretrained=False)).eval()
    fg = P.FeedbackModel("resnet18", pretrained=False, picture_pool="global").eval()
    fg.load_state_dict(fb.state_dict())
    with torch.no_grad():
        a, b = fb(x, boxes), fg(x, boxes)
    assert torch.equal(a[:, 1:], b[:, 1:]) and not torch.equal(a[:, 0], b[:, 0])
    with pytest.raises(ValueError, match="picture_pool"):
        P.FeedbackModel("resnet18", pretrained=False, picture_pool="avg")  # type: ignore[arg-type]


def test_roi_mse_loss() -> None:
    pred, target = torch.randn(3, 4), torch.randn(3, 4)
    assert torch.allclose(P.roi_mse_loss(pred, target), F.mse_loss(pred, target))
    mask = torch.zeros(3, 4, dtype=torch.bool)
    mask[:, 0] = True
    assert torch.allclose(P.roi_mse_loss(pred, target, mask), F.mse_loss(pred[:, 0], target[:, 0]))
    with pytest.raises(ValueError, match="shape"):
        P.roi_mse_loss(pred, target[:, :3])


def _train_step(seed: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    torch.manual_seed(seed)
    model = P.RoIPoolModel("resnet18", pretrained=False)
    x = torch.rand(2, 3, 64, 64)
    boxes = torch.tensor([[[0, 0, 64, 64], [0, 0, 32, 32], [8, 8, 40, 50], [32, 32, 64, 64]]] * 2).float()
    target = torch.rand(2, 4) * 100
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.01)
    loss = P.roi_mse_loss(model(x, boxes), target)
    loss.backward()
    opt.step()
    return loss.detach(), {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_deterministic_for_a_seed_on_cpu() -> None:
    loss_a, state_a = _train_step(7)
    loss_b, state_b = _train_step(7)
    assert torch.equal(loss_a, loss_b)
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)


# ------------------------------------------------------------------------------------------
# quality maps (section 4.3)
# ------------------------------------------------------------------------------------------


def test_block_boxes_hand_values() -> None:
    boxes = block_boxes([[40, 60]], (2, 3))
    assert boxes.shape == (1, 6, 4)
    assert boxes[0, 0].tolist() == [0.0, 0.0, 20.0, 20.0]
    assert boxes[0, 2].tolist() == [40.0, 0.0, 60.0, 20.0]
    assert boxes[0, 4].tolist() == [20.0, 20.0, 40.0, 40.0]  # row-major: block (1, 1)
    shifted = block_boxes([[40, 60]], (2, 3), torch.tensor([[5, 7]]))
    assert torch.equal(shifted - boxes, torch.tensor([5.0, 7.0, 5.0, 7.0]).expand(1, 6, 4))


def test_quality_map_batched_equals_per_block(roipool_model: P.RoIPoolModel) -> None:
    pictures = [torch.rand(3, 64, 80), torch.rand(3, 96, 48)]
    images, offsets = canvas.pad_to_canvas(pictures, 96)
    sizes = [[64, 80], [96, 48]]
    batched = predict_block_scores(roipool_model, images, sizes, offsets, grid=(3, 4))
    assert batched.blocks.shape == (2, 3, 4) and batched.picture.shape == (2,)
    for reuse in (True, False):
        loop = predict_block_scores_loop(roipool_model, images, sizes, offsets, grid=(3, 4), reuse_features=reuse)
        assert torch.allclose(batched.blocks, loop.blocks, atol=1e-5)
        assert torch.allclose(batched.picture, loop.picture, atol=1e-5)
    # the picture RoI is the RoIPool model's own picture prediction
    pic_boxes = canvas.picture_boxes([64, 96], [80, 48], offsets)[:, None]
    with torch.no_grad():
        assert torch.allclose(batched.picture, roipool_model(images, pic_boxes)[:, 0], atol=1e-5)
    roipool_model.train()
    try:
        with pytest.raises(ValueError, match="training mode"):
            predict_block_scores(roipool_model, images, sizes, offsets, grid=2)
    finally:
        roipool_model.eval()


def _roi_pool_reference(features: torch.Tensor, rois: torch.Tensor, ph: int, pw: int, scale: float) -> torch.Tensor:
    """Box by box, bin by bin (torchvision's kernel), vectorised over channels only."""
    _, c, height, width = features.shape
    out = torch.zeros(rois.shape[0], c, ph, pw)
    for n, roi in enumerate(rois.tolist()):
        x1, y1, x2, y2 = (int(math.copysign(math.floor(abs(v * scale) + 0.5), v)) for v in roi[1:])
        bh, bw = max(y2 - y1 + 1, 1) / ph, max(x2 - x1 + 1, 1) / pw
        for i in range(ph):
            for j in range(pw):
                hs = min(max(math.floor(i * bh) + y1, 0), height)
                he = min(max(math.ceil((i + 1) * bh) + y1, 0), height)
                ws = min(max(math.floor(j * bw) + x1, 0), width)
                we = min(max(math.ceil((j + 1) * bw) + x1, 0), width)
                if he > hs and we > ws:
                    out[n, :, i, j] = features[int(roi[0]), :, hs:he, ws:we].amax(dim=(1, 2))
    return out


def test_windowed_roi_pool_many_small_boxes_and_a_large_one() -> None:
    """The quality-map case: hundreds of block RoIs (windows of 1-2 cells) beside the picture box."""
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(2, 3, 12, 10, generator=g)
    boxes = block_boxes([[384, 320], [300, 250]], (9, 7), torch.tensor([[0, 0], [30, 40]]))
    rois = torch.cat(
        [
            torch.tensor([[0.0, 0, 0, 320, 384], [1.0, 30, 40, 280, 340]]),
            torch.cat([torch.arange(2.0).repeat_interleave(63)[:, None], boxes.reshape(-1, 4)], dim=1),
        ]
    )
    ours = roi_pool(feats, rois, 2, 1 / 32)
    assert torch.equal(ours, _roi_pool_reference(feats, rois, 2, 2, 1 / 32))
    assert torch.equal(roi_pool(feats, rois, 2, 1 / 32, max_elements=50), ours)


def test_upsample_scores_bilinear() -> None:
    assert torch.allclose(upsample_scores(torch.full((2, 3), 7.0), (8, 9)), torch.full((8, 9), 7.0))
    up = upsample_scores(torch.tensor([[0.0, 10.0]]), (1, 4))
    assert up.tolist() == [[0.0, 2.5, 7.5, 10.0]]  # block values at block centres, edges clamped
    assert upsample_scores(torch.zeros(2, 3, 3), (5, 5)).shape == (2, 5, 5)
    with pytest.raises(ValueError, match="NaN"):
        upsample_scores(torch.tensor([[math.nan]]), (2, 2))


def test_blend_quality_map() -> None:
    import matplotlib

    pic = (np.random.default_rng(0).random((10, 12, 3)) * 255).astype(np.uint8)
    blocks = torch.tensor([[0.0, 50.0], [100.0, 150.0]])
    assert np.allclose(blend_quality_map(pic, blocks, alpha=0.0), pic / 255.0, atol=1e-6)
    flat = blend_quality_map(pic, torch.full((2, 2), 40.2), alpha=1.0)  # away from a colour-table step
    assert np.allclose(flat, np.array(matplotlib.colormaps["magma"](0.402)[:3], dtype=np.float32), atol=1e-6)
    blend = blend_quality_map(pic, blocks)
    assert blend.shape == (10, 12, 3) and blend.dtype == np.float32
    colour = matplotlib.colormaps["magma"](1.0)[:3]  # 150 is clipped to the top of 0..100
    assert np.allclose(blend[-1, -1], 0.2 * pic[-1, -1] / 255.0 + 0.8 * np.array(colour), atol=1e-6)
    fig = plot_quality_maps([pic], [blend], ["pred 50"])
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    with pytest.raises(ValueError, match="alpha"):
        blend_quality_map(pic, blocks, alpha=1.5)


# ------------------------------------------------------------------------------------------
# NIMA and CNNIQA (section 4.1, [46], [68])
# ------------------------------------------------------------------------------------------


def test_nima_one_score_and_ten_bins() -> None:
    x = torch.rand(2, 3, 64, 64)
    one = _seeded(lambda: NIMA("resnet18", pretrained=False)).eval()
    ten = _seeded(lambda: NIMA("mobilenet_v2", pretrained=False, n_out=10)).eval()
    with torch.no_grad():
        assert one(x).shape == (2,) and torch.equal(one.score(x), one(x))
        p = ten(x)
        assert p.shape == (2, 10) and torch.allclose(p.sum(dim=1), torch.ones(2))
        assert torch.allclose(ten.score(x), p @ torch.arange(1.0, 11.0))
    assert float(emd_loss(p, p)) == 0.0
    assert float(emd_loss(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]]))) == pytest.approx(math.sqrt(0.5))
    with pytest.raises(ValueError, match="n_out"):
        NIMA("resnet18", pretrained=False, n_out=5)


def test_local_contrast_normalisation_hand_computed() -> None:
    x = torch.zeros(1, 1, 3, 3)
    x[0, 0, 1, 1] = 9.0
    out = local_contrast_normalize(x)  # 3x3 window, C = 1
    # centre: window = all nine pixels, mean 1, variance 81/9 - 1 = 8
    assert float(out[0, 0, 1, 1]) == pytest.approx(8.0 / (math.sqrt(8.0) + 1.0))
    # corner (0, 0): symmetric extension -> window [[0,0,0],[0,0,0],[0,0,9]], mean 1, variance 8
    assert float(out[0, 0, 0, 0]) == pytest.approx(-1.0 / (math.sqrt(8.0) + 1.0))
    # edge (0, 1): window rows {0, 0, 1} x cols {0, 1, 2} holds the 9 once: the same
    assert float(out[0, 0, 0, 1]) == pytest.approx(-1.0 / (math.sqrt(8.0) + 1.0))


def test_local_contrast_normalisation_equals_scipy_symm() -> None:
    from scipy.signal import convolve2d

    patch = np.random.default_rng(1).random((32, 32)) * 255
    for window in (3, 7):
        k = np.ones((window, window)) / window**2
        mean = convolve2d(patch, k, mode="same", boundary="symm")
        var = np.maximum(convolve2d(patch**2, k, mode="same", boundary="symm") - mean**2, 0)
        expected = (patch - mean) / (np.sqrt(var) + 1.0)
        ours = local_contrast_normalize(torch.from_numpy(patch)[None, None], window=window)[0, 0].numpy()
        assert np.allclose(ours, expected, atol=1e-9)


def test_cnniqa_patches_and_picture_score() -> None:
    images = torch.rand(2, 3, 70, 100)
    patches, index = cnniqa_patches(images)
    assert patches.shape == (12, 1, 32, 32)  # 2 x 3 whole patches per picture
    assert index.tolist() == [0] * 6 + [1] * 6
    grey = 255 * (0.299 * images[1, 0] + 0.587 * images[1, 1] + 0.114 * images[1, 2])
    expected = local_contrast_normalize(grey[32:64, 64:96][None, None])
    assert torch.allclose(patches[6 + 5], expected[0], atol=1e-4)  # row-major: patch (1, 2) of picture 1
    net = _seeded(CNNIQA).eval()
    with torch.no_grad():
        per_patch = net(patches)
        pictures = net.predict_pictures(images)
    assert torch.allclose(pictures, per_patch.view(2, 6).mean(dim=1), atol=1e-6)
    with pytest.raises(ValueError, match="smaller than one"):
        cnniqa_patches(torch.rand(1, 3, 16, 64))


# ------------------------------------------------------------------------------------------
# Table 8: parameter counts
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table8():
    return P.parameter_table().set_index("claim")


def test_parameter_counts_exact() -> None:
    head = P.quality_head(512)
    assert P.count_parameters(head) == 2048 + 524_800 + 1024 + 513 == 528_385
    head1 = P.quality_head(1028, pool=False, dropout=(0.5, 0.5))
    assert P.count_parameters(head1) == 530_441
    assert P.count_parameters(CNNIQA()) == 2500 + 80_800 + 640_800 + 801 == 724_901
    base = P.BaselineModel("resnet18", pretrained=False)
    assert P.count_parameters(base.body) == 11_176_512  # torchvision's fc (513,000) not included
    assert P.batchnorm_parameters(base.body) == 9600
    split = P.parameter_split(base)
    assert split == dict(
        total=11_704_897,
        backbone_module=11_176_512,
        head_module=528_385,
        backbone_frozen=11_166_912,
        head_frozen=537_985,
    )


def test_table8_matches_the_paper_to_its_printed_digits(table8) -> None:
    mismatched = set(table8.index[~table8["match"]])
    # the MobileNetV2 NIMA row's split: 10.11 K is the ResNet-18 NIMA head's number; 2.22 M is the
    # whole MobileNetV2 feature extractor (see parameter_table's docstring); its total matches
    assert mismatched == {"table8_nima_mobilenet_v2_backbone", "table8_nima_mobilenet_v2_head"}
    assert table8.loc["table8_nima_mobilenet_v2_backbone", "match_module"]
    # every total matches in both conventions
    totals = table8[table8["part"] == "total"]
    assert totals["match"].all() and totals["match_module"].all()
    # the plain split would not print the paper's ResNet-18 numbers
    assert table8.loc["table8_baseline_head", "ours_module"] == pytest.approx(528.385)
    assert not table8.loc["table8_baseline_head", "match_module"]
    assert table8.loc["table8_roipool_head", "count"] == table8.loc["table8_baseline_head", "count"]


def test_table8_through_the_scorecard(table8) -> None:
    reference = load_reference("02_paq2piq")
    card = Scorecard(reference)
    verdicts = {claim: card.check(claim, row["ours"]) for claim, row in table8.iterrows()}
    assert set(verdicts) == {c for c in reference.index if c.startswith("table8_")}
    failed = {c for c, ok in verdicts.items() if not ok}
    assert failed == {"table8_nima_mobilenet_v2_backbone", "table8_nima_mobilenet_v2_head"}
