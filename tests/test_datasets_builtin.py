"""Tests of saliqa.datasets.builtin: real photos, deterministic crops, cached distorted sets."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from saliqa import distortions
from saliqa.datasets import builtin
from saliqa.datasets.tables import validate

SIZE = (48, 64)


@pytest.fixture(autouse=True)
def temp_cache(tmp_path, monkeypatch) -> Path:
    """Every test writes into its own cache folder, never into data/cache."""
    monkeypatch.setenv("SALIQA_CACHE", str(tmp_path))
    return tmp_path


def test_photographs_load_offline_as_uint8_rgb():
    names = builtin.photographs()
    assert set(names) == {
        "astronaut",
        "chelsea",
        "coffee",
        "rocket",
        "hubble_deep_field",
        "motorcycle",
        "china",
        "flower",
        "grace_hopper",
        "camera",
        "moon",
        "coins",
    }
    grey = {n for n in names if builtin.is_grey(n)}
    assert grey == {"camera", "moon", "coins"}
    for name in names:
        image = builtin.load_photo(name)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert image.shape[:2] == builtin.PHOTOS[name].shape
        channels_equal = np.array_equal(image[..., 0], image[..., 1]) and np.array_equal(image[..., 0], image[..., 2])
        assert channels_equal == (name in grey), name
        assert image.std() > 10, name  # a real photograph, not a constant
    sources = {builtin.PHOTOS[n].source for n in names}
    assert sources == {"skimage", "sklearn", "matplotlib"}  # every package that ships photographs
    copy = builtin.load_photo("astronaut")
    copy[:] = 0
    assert builtin.load_photo("astronaut").std() > 10  # callers get copies


def test_crop_table_is_inside_each_photo():
    assert builtin.max_contents() == len(builtin.CROPS) == 49
    ids = [c.content_id for c in builtin.CROPS]
    assert len(set(ids)) == len(ids)
    for crop in builtin.CROPS:
        left, top, right, bottom = crop.box
        h, w = builtin.PHOTOS[crop.photo].shape
        assert 0 <= left < right <= w and 0 <= top < bottom <= h, crop
        assert right - left >= 320 and bottom - top >= 300, crop  # no upsampling up to (300, 320)


def test_contents_deterministic_real_and_flagged():
    a = builtin.contents(12, size=SIZE, seed=3)
    b = builtin.contents(12, size=SIZE, seed=3)
    assert [c.content_id for c in a] == [c.content_id for c in b]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.image, y.image)
        assert x.image.dtype == np.uint8 and x.image.shape == (*SIZE, 3)
        assert x.image.std() > 10, x.content_id
        grey = builtin.is_grey(x.photo)
        assert x.is_grey == grey
        assert np.array_equal(x.image[..., 0], x.image[..., 2]) == grey
        left, top, right, bottom = x.crop_box
        assert abs((right - left) / (bottom - top) - SIZE[1] / SIZE[0]) < 0.02
    # stratified: the first len(photographs) contents come from distinct photos
    assert len({c.photo for c in a[:12]}) == 12
    other = builtin.contents(12, size=SIZE, seed=4)
    assert [c.content_id for c in other] != [c.content_id for c in a]
    # a prefix of a larger selection
    assert [c.content_id for c in builtin.contents(5, size=SIZE, seed=3)] == [c.content_id for c in a[:5]]


def test_astronaut_full_crop_is_the_photo_resized():
    full = next(c for c in builtin.contents(49, size=(64, 64)) if c.content_id == "astronaut-0")
    assert full.crop_box == (0, 0, 512, 512) and not full.is_grey
    assert full.image.std() > 10
    reference = np.asarray(Image.fromarray(builtin.load_photo("astronaut")).resize((64, 64), Image.Resampling.LANCZOS))
    np.testing.assert_array_equal(full.image, reference)


@pytest.mark.parametrize("n", [0, 50, 2.0, -1])
def test_n_out_of_range_names_the_maximum(n):
    with pytest.raises(ValueError, match=r"n must be an integer in 1\.\.49"):
        builtin.contents(n, size=SIZE)
    with pytest.raises(ValueError, match=r"n_contents must be an integer in 1\.\.49"):
        builtin.distorted_set(n, size=SIZE)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"size": (0, 64)}, "size"),
        ({"size": 64}, "size"),
        ({"seed": -1}, "seed"),
        ({"distortion": "pixelate"}, "distortion"),
        ({"levels": ()}, "levels"),
        ({"levels": (50, 0)}, "quality"),
        ({"options": {"angle": 5}}, "options"),
    ],
)
def test_distorted_set_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        builtin.distorted_set(2, **{"size": SIZE, **kwargs})


def test_upsampling_warns():
    with pytest.warns(UserWarning, match="upsampled"):
        builtin.contents(1, size=(900, 900))  # seed 0 starts with the 1000 x 872 Hubble photo
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        builtin.contents(9, size=(30, 40))


def test_distorted_set_table_files_and_jpeg_levels(temp_cache):
    levels = (90, 50, 10)
    table = builtin.distorted_set(3, "jpeg", levels=levels, size=SIZE, seed=1, include_reference=True)
    validate(table, "images")
    assert list(table.columns[:7]) == list(("image_id", "path", "width", "height", "content_id", "distortion", "level"))
    assert len(table) == 3 * (1 + len(levels)) and table["image_id"].is_unique
    assert (table["width"] == SIZE[1]).all() and (table["height"] == SIZE[0]).all()
    refs = table[table["distortion"] == "none"]
    assert len(refs) == 3 and refs["level"].isna().all()
    assert set(table.loc[table["distortion"] == "jpeg", "level"]) == {90.0, 50.0, 10.0}
    chosen = builtin.contents(3, size=SIZE, seed=1)
    assert list(refs["content_id"]) == [c.content_id for c in chosen]
    for content in chosen:
        rows = table[table["content_id"] == content.content_id]
        assert rows["is_grey"].all() == content.is_grey
        ref_path = Path(rows["path"].iloc[0])
        assert ref_path.parent.parent == temp_cache
        assert ref_path.parent.name == f"builtin-v{builtin.GENERATOR_VERSION}-seed1-48x64-none"
        np.testing.assert_array_equal(builtin.load_image(ref_path), content.image)
        with Image.open(ref_path) as stored_ref:
            assert stored_ref.mode == ("L" if content.is_grey else "RGB")
        errors = []
        for _, row in rows.iloc[1:].iterrows():
            stored = builtin.load_image(row["path"])
            base = content.image[..., 0] if content.is_grey else content.image
            expected = distortions.jpeg(base, int(row["level"]))
            if content.is_grey:
                expected = np.repeat(expected[..., None], 3, axis=2)
            # the JPEG-decoded pixels, stored losslessly
            np.testing.assert_array_equal(stored, expected)
            errors.append(np.mean((stored.astype(float) - content.image) ** 2))
        assert errors[0] < errors[1] < errors[2]


def test_distorted_set_deterministic_and_cached(temp_cache, tmp_path_factory, monkeypatch):
    kwargs = dict(distortion="white_noise", levels=(5, 20), size=SIZE, seed=2, include_reference=True)
    first = builtin.distorted_set(3, **kwargs)
    mtimes = {p: Path(p).stat().st_mtime_ns for p in first["path"]}
    second = builtin.distorted_set(3, **kwargs)
    pd.testing.assert_frame_equal(first, second)
    assert {p: Path(p).stat().st_mtime_ns for p in second["path"]} == mtimes  # nothing rewritten
    assert not list(temp_cache.rglob("*.tmp"))  # no temporary files left behind

    # regenerated from scratch in another cache folder: identical pixels
    other = tmp_path_factory.mktemp("other-cache")
    monkeypatch.setenv("SALIQA_CACHE", str(other))
    third = builtin.distorted_set(3, **kwargs)
    pd.testing.assert_frame_equal(first.drop(columns="path"), third.drop(columns="path"))
    for a, b in zip(first["path"], third["path"]):
        np.testing.assert_array_equal(builtin.load_image(a), builtin.load_image(b))
    # a different seed selects other contents and other noise
    assert set(builtin.distorted_set(3, **{**kwargs, "seed": 7})["content_id"]) != set(first["content_id"])


def test_distorted_set_options_key_the_cache():
    a = builtin.distorted_set(1, "motion_blur", levels=(9,), size=SIZE, options={"angle": 0})
    b = builtin.distorted_set(1, "motion_blur", levels=(9,), size=SIZE, options={"angle": 90})
    assert Path(a["path"][0]).parent != Path(b["path"][0]).parent
    assert not np.array_equal(builtin.load_image(a["path"][0]), builtin.load_image(b["path"][0]))
    default = builtin.distorted_set(1, "gaussian_blur", size=SIZE)
    assert list(default["level"]) == list(distortions.REGISTRY["gaussian_blur"].default_levels)


def test_load_image_errors(tmp_path):
    missing = tmp_path / "nope.png"
    with pytest.raises(FileNotFoundError, match="nope.png"):
        builtin.load_image(missing)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match="broken.png"):
        builtin.load_image(broken)
    grey = tmp_path / "grey.png"
    Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4)).save(grey)
    loaded = builtin.load_image(grey)
    assert loaded.shape == (3, 4, 3) and loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded[..., 1], np.arange(12).reshape(3, 4))
