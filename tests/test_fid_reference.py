"FID reference statistics: cached on the reference's content, resolution and feature extractor; too few images raise."
import os
import numpy as np
import pytest
import torch
from PIL import Image
from simple_diffusion.fid import reference_key, reference_stats, fid, small_n_warning

RES = 16

class RowMeans:
    "A cheap, flip-invariant stand-in for Inception: the mean of each image row, per channel; counts its calls."
    def __init__(self, id='row-means'): self.id, self.calls = id, 0
    def __call__(self, images):
        self.calls += 1
        return torch.as_tensor(images).double().mean(-1).flatten(1).numpy()

def save_png(path, seed=None, colour=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    a = np.full((RES, RES, 3), colour, np.uint8) if colour is not None else \
        np.random.default_rng(seed).integers(0, 256, (RES, RES, 3), dtype=np.uint8)
    Image.fromarray(a).save(path)

@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / 'cache'
    monkeypatch.setenv('SIMPLE_DIFFUSION_CACHE', str(d))
    return d

@pytest.fixture
def folder(tmp_path):
    root = tmp_path / 'ref'
    for i in range(3): save_png(root / 'cls' / f'{i}.png', seed=i)
    return root

def test_unchanged_folder_reuses_cached_stats(folder, cache):
    fx = RowMeans()
    s1 = reference_stats(folder, RES, fx)
    s2 = reference_stats(folder, RES, fx)
    assert fx.calls == 1
    assert int(s2['n']) == 3 and s2['key'] == s1['key']
    np.testing.assert_array_equal(s2['mu'], s1['mu'])
    files = list(cache.glob('*.npz'))
    assert [p.name for p in files] == [f'fid-ref-ref-{RES}px-{s1["key"]}.npz']
    with np.load(files[0]) as f: assert str(f['key']) == s1['key']

def test_added_image_recomputes(folder, cache):
    fx = RowMeans()
    s1 = reference_stats(folder, RES, fx)
    save_png(folder / 'cls' / '3.png', seed=3)
    s2 = reference_stats(folder, RES, fx)
    assert fx.calls == 2
    assert (int(s1['n']), int(s2['n'])) == (3, 4)
    assert s2['key'] != s1['key']

def test_replaced_image_recomputes(folder, cache):
    fx = RowMeans()
    s1 = reference_stats(folder, RES, fx)
    save_png(folder / 'cls' / '0.png', colour=(255, 0, 0))   # same name, other image (and other file size)
    s2 = reference_stats(folder, RES, fx)
    assert fx.calls == 2 and int(s2['n']) == 3
    assert not np.allclose(s1['mu'], s2['mu'])

def test_replaced_image_same_size_recomputes(folder, cache):
    "A file overwritten with another image of the same byte size is seen through its modification time."
    fx = RowMeans()
    p, other = folder / 'cls' / '0.png', (folder / 'cls' / '1.png').read_bytes()
    s1 = reference_stats(folder, RES, fx)
    st = p.stat()
    assert len(other) == st.st_size                              # noise PNGs of one shape: same size
    p.write_bytes(other)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))   # a later write, whatever the clock's granularity
    s2 = reference_stats(folder, RES, fx)
    assert fx.calls == 2 and int(s2['n']) == 3
    assert not np.allclose(s1['mu'], s2['mu'])

def test_stale_cache_file_with_other_key_is_not_trusted(folder, cache):
    fx = RowMeans()
    s1 = reference_stats(folder, RES, fx)
    path, = cache.glob('*.npz')
    np.savez(path, mu=s1['mu'] + 1, sigma=s1['sigma'], n=np.array(99), key=np.array('something-else'))
    s2 = reference_stats(folder, RES, fx)
    assert fx.calls == 2 and int(s2['n']) == 3
    np.testing.assert_allclose(s2['mu'], s1['mu'])

def test_key_depends_on_resolution_and_features(folder):
    k = reference_key(folder, RES, RowMeans())
    assert reference_key(folder, RES, RowMeans()) == k
    assert reference_key(folder, 2 * RES, RowMeans()) != k
    assert reference_key(folder, RES, RowMeans(id='other-features')) != k
    assert len(k) == 12

def test_key_of_openmoji_depends_on_resolution_and_features():
    k = reference_key('openmoji', 64, RowMeans())
    assert reference_key('openmoji', 64, RowMeans()) == k
    assert reference_key('openmoji', 32, RowMeans()) != k
    assert reference_key('openmoji', 64, RowMeans(id='other')) != k

def test_one_image_raises_before_features(tmp_path, cache, folder):
    one = tmp_path / 'one'
    save_png(one / 'cls' / '0.png', seed=0)
    fx = RowMeans()
    with pytest.raises(ValueError, match='FID needs at least 2 images, got 1'): reference_stats(one, RES, fx)
    ref = reference_stats(folder, RES, fx)
    fx.calls = 0
    with pytest.raises(ValueError, match='FID needs at least 2 images, got 1'): fid(torch.zeros(1, 3, RES, RES), ref, fx)
    with pytest.raises(ValueError, match='FID needs at least 2 images, got 1'): fid(torch.zeros(1, 3, RES, RES), ref)  # no Inception built
    assert fx.calls == 0

def test_small_n_warning():
    w = small_n_warning(1000)
    assert isinstance(w, str) and '2048' in w and '1000' in w
    assert small_n_warning(2048) is not None                  # rank at most 2047: still deficient
    assert small_n_warning(5000) is None
