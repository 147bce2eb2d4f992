import numpy as np
import pytest

import shearfeat as sf
from shearfeat import _env, _plan, _tiles
from synthetic import box_ridge, step


def test_small_images_are_not_tiled():
    assert _plan.plan((512, 512), 100, 1536) is None


def test_tile_size_follows_the_memory_limit(monkeypatch):
    from shearfeat._params import resolve_params
    edge = resolve_params((4096, 4096), "edge")
    ridge = resolve_params((4096, 4096), "ridge")
    side = _plan.tile_size("edge", edge, np.float32)
    assert 1024 <= side <= 3072 and side % 8 == 0
    assert _plan.tile_size("ridge", ridge, np.float32) < side     # twice the maps
    system = sf.ShearletSystem((side, side), "edge", mode="periodic")
    assert system.memory_estimate()["total"] <= _env.memory_limit()
    monkeypatch.setenv("SHEARFEAT_MEMORY_LIMIT", str(2 ** 28))
    assert _plan.tile_size("edge", edge, np.float32) < side
    monkeypatch.setenv("SHEARFEAT_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="SHEARFEAT_MEMORY_LIMIT"):
        _plan.tile_size("edge", edge, np.float32)


def test_plan_covers_the_image_with_overlapping_windows():
    (window, starts, core), (window_c, starts_c, core_c) = _plan.plan((1000, 700), 100, 512)
    assert window == window_c == 512 and core == 312
    assert starts[0] == 0 and starts[-1] == 1000 - core
    assert all(b - a <= core for a, b in zip(starts, starts[1:]))
    with pytest.raises(ValueError, match="raise SHEARFEAT_TILE_SIZE"):
        _plan.plan((1000, 1000), 250, 512)


def test_bad_tile_size_environment(monkeypatch):
    monkeypatch.setenv("SHEARFEAT_TILE_SIZE", "tiny")
    with pytest.raises(ValueError, match="SHEARFEAT_TILE_SIZE"):
        sf.edges(np.eye(600, 600))


@pytest.mark.parametrize("pivot_scales,angle_tolerance", [("all", 0.05), ("lowest", 0.1)])
@pytest.mark.parametrize("theta", [0, 35, 90, 140])
def test_tiled_edges_equal_whole_image_on_clean_structures(monkeypatch, theta, pivot_scales,
                                                           angle_tolerance):
    # "lowest" (the default) pivots on the coarse scales, whose wider filters feel the
    # tile seams a little more: up to 0.057 degrees at 140 degrees.
    image, _ = step(theta, n=400, offset=0.25)
    whole = sf.edges(image, pivot_scales=pivot_scales)
    monkeypatch.setenv("SHEARFEAT_TILE_SIZE", "320")     # 100 px margin, 120 px cores
    tiled = sf.edges(image, pivot_scales=pivot_scales)
    np.testing.assert_allclose(tiled.measure, whole.measure, atol=2e-3)
    # the strength's brightness gain (0.8-1.4 along this step) scales the finite
    # margin's error of the contrast with it
    np.testing.assert_allclose(tiled.strength, whole.strength, atol=2e-3 * 1.83)
    strong = whole.measure > 0.5
    error = np.abs((tiled.orientation[strong] - whole.orientation[strong] + 90) % 180 - 90)
    assert error.max() < angle_tolerance


def test_tiled_ridges_equal_whole_image_on_clean_structures(monkeypatch):
    image, _ = box_ridge(5, n=500)
    image = image + box_ridge(8, n=500, vertical=False)[0] * 0.5
    whole = sf.ridges(image, polarity="both")
    monkeypatch.setenv("SHEARFEAT_TILE_SIZE", "480")     # 174 px margin
    tiled = sf.ridges(image, polarity="both")
    np.testing.assert_allclose(tiled.measure, whole.measure, atol=2e-3)
    np.testing.assert_array_equal(tiled.width, whole.width)
    np.testing.assert_allclose(tiled.height, whole.height, atol=2e-3)


def test_tiled_edges_on_a_natural_image(monkeypatch):
    from skimage import data, transform
    image = transform.resize(data.camera().astype(np.float32), (420, 450)).astype(np.float32)
    whole = sf.edges(image)
    monkeypatch.setenv("SHEARFEAT_TILE_SIZE", "320")
    tiled = sf.edges(image)
    difference = np.abs(tiled.measure - whole.measure)
    # Texture has near ties between orientations whose measures differ; a perturbation of
    # 1e-3 from the finite margin flips a few of them.  Everything else agrees.
    assert np.quantile(difference, 0.99) < 5e-3
    assert (difference > 0.02).mean() < 1e-3


def test_tiled_ridges_on_a_natural_image(monkeypatch):
    # Ridges tile with 1.5 reaches of margin (edges with 2): their pivots are even parts,
    # whose tails beyond the reach are short.
    from skimage import data, transform
    image = transform.resize(data.camera().astype(np.float32), (420, 450)).astype(np.float32)
    whole = sf.ridges(image, polarity="both")
    monkeypatch.setenv("SHEARFEAT_TILE_SIZE", "480")      # 131 px margin, 218 px cores
    tiled = sf.ridges(image, polarity="both")
    difference = np.abs(tiled.measure - whole.measure)
    assert np.quantile(difference, 0.99) < 5e-3
    assert (difference > 0.02).mean() < 1e-3
    assert np.quantile(np.abs(tiled.strength - whole.strength), 0.99) < 5e-3


def test_coshrem_preset_keeps_the_whole_image_widths(monkeypatch):
    image, _ = step(20, n=300)
    whole = sf.edges(image, preset="coshrem")
    monkeypatch.setenv("SHEARFEAT_TILE_SIZE", "400")
    tiled = sf.edges(image, preset="coshrem")
    np.testing.assert_allclose(tiled.measure, whole.measure, atol=2e-3)


@pytest.mark.parametrize("chunk", [7, 60, 10 ** 6])     # rows of one image, whole images
def test_normalise_into_works_in_chunks(monkeypatch, chunk):
    monkeypatch.setattr(_tiles, "NORMALISE_CHUNK", chunk)
    rng = np.random.default_rng(3)
    images = rng.random((4, 6, 5)).astype(np.float32) * 100
    images[2] = 7.0                                      # flat
    means = images.mean(axis=(1, 2), dtype=np.float64)
    divisors = np.array([2.0, 3.0, 1.0, 5.0])
    flat = np.array([False, False, True, False])
    out = np.full(images.shape, np.nan, np.float32)
    _tiles.normalise_into(out, images, means, divisors, flat)
    want = ((images - means[:, None, None]) / divisors[:, None, None]).astype(np.float32)
    want[2] = 0.0
    np.testing.assert_array_equal(out, want)


def test_tiling_weighs_the_work_it_adds(monkeypatch):
    from shearfeat._params import resolve_params
    from shearfeat._system import measure_radius
    monkeypatch.delenv("SHEARFEAT_TILE_SIZE", raising=False)
    monkeypatch.setenv("SHEARFEAT_MEMORY_LIMIT", str(int(1.5 * 2 ** 30)))

    def tiles(kind, shape):
        p = resolve_params(shape, kind)
        return _plan.memory_plan(shape, kind, p, np.float32, _plan.margin(p, kind))

    # At 1.5 GiB, 940 x 1240 blobs need 21 % more than the limit whole, and tiles would
    # transform over twice the pixels: not tiled (UNTILED_SLACK, TILING_MAX_WORK).
    p = resolve_params((940, 1240), "blob")
    radius = measure_radius(p, "blob")
    whole = np.prod([_plan.fast_length(n + 2 * radius) for n in (940, 1240)])
    assert whole * _plan._bytes_per_pixel("blob", p, "<f4") > _env.memory_limit()
    assert tiles("blob", (940, 1240)) is None
    assert tiles("blob", (800, 1000)) is None                  # fits whole
    assert tiles("edge", (1024, 1024)) is None
    # a large image is tiled, in windows that fit the limit and cover it, and the
    # windows need not be square: fewer pixels than the square plan of the same limit
    for kind, shape in [("edge", (4096, 4096)), ("ridge", (1400, 1400)),
                        ("ridge", (3000, 1000))]:
        p = resolve_params(shape, kind)
        margin = _plan.margin(p, kind)
        plan = tiles(kind, shape)
        assert plan is not None
        (win_r, starts_r, core_r), (win_c, starts_c, core_c) = plan
        per_pixel = _plan._bytes_per_pixel(kind, p, "<f4")
        assert win_r * win_c * per_pixel <= _env.memory_limit()
        assert starts_r[-1] + core_r >= shape[0] and starts_c[-1] + core_c >= shape[1]
        square = _plan.plan(shape, margin, _plan.tile_size(kind, p, np.float32))
        work = win_r * len(starts_r) * win_c * len(starts_c)
        assert work <= square[0][0] * len(square[0][1]) * square[1][0] * len(square[1][1])


def test_rectangular_windows_give_the_whole_image_result(monkeypatch):
    image, _ = step(30, n=360, offset=0.25)
    whole = sf.edges(image)
    # a limit that makes rectangular windows the cheapest plan
    monkeypatch.setattr(_plan, "memory_plan", lambda shape, kind, resolved, dtype, margin, pivot_scales=None:
                        _plan.cheapest_plan(tuple(shape), margin, 420 * 300)[0])
    system, tiling = _tiles.prepare(image.shape, "edge", preset="default", mode="reflect",
                                    dtype=np.float32, params={})
    assert tiling is not None and system.shape[0] != system.shape[1]
    tiled = sf.edges(image)
    np.testing.assert_allclose(tiled.measure, whole.measure, atol=2e-3)


@pytest.mark.parametrize("kind", ["edge", "ridge", "blob"])
def test_maps_measured_on_a_core_equal_the_whole_maps_there(kind):
    # A Dask chunk measures only its core (and, for the ridge strength, as far around
    # it as the strength reads): exactly what measuring everything gives there.
    from skimage import data, transform
    from shearfeat.blobs import blob_maps
    from shearfeat.edges import edge_maps
    from shearfeat.ridges import ridge_maps
    image = transform.resize(data.camera().astype(np.float32), (320, 336)).astype(np.float32)
    # (the edge strength's surround suppression reads the strength around the core,
    # so chunks leave it out and suppress once their neighbours are known: see
    # shearfeat.dask)
    maps, options = {"edge": (edge_maps, dict(pivot_scales="lowest", surround=False)),
                     "ridge": (ridge_maps, dict(pivot_scales="all", polarity="both")),
                     "blob": (blob_maps, dict(min_diameter=None, max_diameter=None,
                                              polarity="bright"))}[kind]
    common = dict(min_contrast=None, mode="periodic", preset="default", threads=1,
                  params={}, **options)
    core = (90, 230), (70, 250)
    whole = maps(image[None], **common)
    part = maps(image[None], core=core, **common)
    (r0, r1), (c0, c1) = core
    for full, kept in zip(whole, part):
        np.testing.assert_array_equal(kept[:, r0:r1, c0:c1], full[:, r0:r1, c0:c1])
        assert not kept[:, :r0 - 30].any()           # not measured: zero, not stale
