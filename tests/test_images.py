"Image files of every PIL mode read as the right 8-bit RGB, and image folders find bad files and never draw random numbers."
import warnings
import numpy as np
import pytest
import torch
from PIL import Image
from simple_diffusion.data import CorruptImageError, ImageFolder, image_size, load_image, to_rgb

RAMP = np.arange(256)   # the 8-bit levels, one per column

def rgb(path): return np.asarray(load_image(path)).astype(int)

def test_16bit_png_is_scaled_not_clipped(tmp_path):
    Image.fromarray(np.tile(RAMP * 257, (4, 1)).astype(np.uint16)).save(tmp_path / 'g.png')
    assert Image.open(tmp_path / 'g.png').mode == 'I;16'
    x = rgb(tmp_path / 'g.png')
    assert x.shape == (4, 256, 3)
    assert abs(x.mean() - 127.5) < 1                  # convert('RGB') gives 254.0: almost white
    assert (x[0, :, 0] == RAMP).all()

def test_16bit_rounds_to_nearest_level(tmp_path):
    Image.fromarray(np.array([[128, 129, 65535, 0]], np.uint16)).save(tmp_path / 'g.png')
    assert rgb(tmp_path / 'g.png')[0, :, 0].tolist() == [0, 1, 255, 0]

def test_32bit_integer_and_big_endian_16bit(tmp_path):
    a = np.tile(RAMP * 257, (4, 1))
    Image.fromarray(a.astype(np.int32)).save(tmp_path / 'i.tif')
    Image.frombytes('I;16B', (256, 4), a.astype('>u2').tobytes()).save(tmp_path / 'b.tif')
    assert Image.open(tmp_path / 'i.tif').mode == 'I' and Image.open(tmp_path / 'b.tif').mode == 'I;16B'
    assert (rgb(tmp_path / 'i.tif')[0, :, 0] == RAMP).all()
    assert (rgb(tmp_path / 'b.tif')[0, :, 0] == RAMP).all()

def test_rgba_transparent_half_is_white(tmp_path):
    a = np.zeros((4, 8, 4), np.uint8); a[:, :4] = (255, 0, 0, 255)
    Image.fromarray(a).save(tmp_path / 'a.png')
    x = rgb(tmp_path / 'a.png')
    assert (x[:, :4] == [255, 0, 0]).all()
    assert (x[:, 4:] == 255).all()

def test_half_transparent_is_blended_with_white():
    x = np.asarray(to_rgb(Image.new('RGBA', (2, 2), (0, 0, 0, 128)))).astype(int)
    assert (x == 127).all()
    y = np.asarray(to_rgb(Image.new('RGBA', (2, 2), (200, 100, 50, 128)).convert('RGBa'))).astype(int)
    assert y[0, 0].tolist() == [227, 177, 152]

def test_la_on_white(tmp_path):
    Image.fromarray(np.zeros((4, 4, 2), np.uint8), 'LA').save(tmp_path / 'la.png')   # black, fully transparent
    assert Image.open(tmp_path / 'la.png').mode == 'LA'
    assert (rgb(tmp_path / 'la.png') == 255).all()
    assert (np.asarray(to_rgb(Image.new('La', (2, 2), (0, 0)))) == 255).all()

def test_palette_transparent_index_on_white(tmp_path):
    p = Image.fromarray(np.array([[0, 1], [1, 0]], np.uint8), 'L').convert('P')
    p.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    p.save(tmp_path / 'p.png', transparency=0)
    assert Image.open(tmp_path / 'p.png').mode == 'P'
    x = rgb(tmp_path / 'p.png')
    assert x[0, 0].tolist() == [255, 255, 255] and x[0, 1].tolist() == [255, 0, 0]
    pa = Image.new('PA', (2, 2), (1, 0)); pa.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    assert (np.asarray(to_rgb(pa)) == 255).all()

def test_float_image_scaled_or_clipped(tmp_path):
    Image.fromarray(np.tile(RAMP / 255, (2, 1)).astype(np.float32)).save(tmp_path / 'unit.tif')
    Image.fromarray(np.array([[-5.0, 0.5, 2.0, 300.0]], np.float32)).save(tmp_path / 'wide.tif')
    assert Image.open(tmp_path / 'unit.tif').mode == 'F'
    assert (rgb(tmp_path / 'unit.tif')[0, :, 0] == RAMP).all()            # values in [0, 1]: times 255
    assert rgb(tmp_path / 'wide.tif')[0, :, 0].tolist() == [0, 0, 2, 255]   # otherwise clipped (0.5 rounds to 0)

def make_folder(root, n=3, seed=0):
    rng = np.random.default_rng(seed)
    for cls in ('a', 'b'):
        (root / cls).mkdir()
        for k in range(n): Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(root / cls / f'{k}.png')
    return root

def test_garbage_file_refused_naming_it(tmp_path):
    make_folder(tmp_path)
    (tmp_path / 'b' / 'junk.jpg').write_bytes(b'\x00garbage' * 10)
    with pytest.raises(CorruptImageError, match=r"junk\.jpg.*on_error='skip'.*--skip-bad-images"): ImageFolder(tmp_path, 16)

@pytest.mark.parametrize('content', [b'', b'just some text\n'])
def test_empty_and_text_files_fail_the_header_check(tmp_path, content):
    (tmp_path / 'x.jpg').write_bytes(content)
    with pytest.raises(CorruptImageError, match=r'x\.jpg'): image_size(tmp_path / 'x.jpg')

def test_skip_counts_garbage_and_warns_once(tmp_path):
    make_folder(tmp_path)
    (tmp_path / 'a' / 'junk.png').write_bytes(b'garbage')
    (tmp_path / 'b' / 'empty.jpg').write_bytes(b'')
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        ds = ImageFolder(tmp_path, 16, on_error='skip')
    assert len(ds) == 6
    assert [p.name for p in ds.skipped] == ['junk.png', 'empty.jpg']
    assert len(w) == 1 and 'skipped 2 ' in str(w[0].message) and 'junk.png' in str(w[0].message)

def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])

def test_truncated_file_raises_or_is_replaced(tmp_path):
    make_folder(tmp_path)
    truncate(tmp_path / 'a' / '1.png')
    ds = ImageFolder(tmp_path, 16)                                         # the header is intact
    assert len(ds) == 6
    with pytest.raises(CorruptImageError, match=r'1\.png'): ds[1]
    with pytest.raises(CorruptImageError, match=r'1\.png'): ImageFolder(tmp_path, 16, verify=True)
    skip = ImageFolder(tmp_path, 16, on_error='skip')
    x, y = skip[1]
    assert torch.equal(x, skip[2][0]) and y == skip[2][1]                  # the next readable image
    assert [p.name for p in skip.skipped] == ['1.png']
    with warnings.catch_warnings(record=True):
        assert len(ImageFolder(tmp_path, 16, on_error='skip', verify=True)) == 5

def test_items_are_a_pure_function_of_the_index(tmp_path):
    make_folder(tmp_path)
    ds = ImageFolder(tmp_path, 16)
    torch.manual_seed(0)
    first = [ds[i][0] for i in range(len(ds))]
    for seed in range(1, 20):                                              # 19 draws: a 50% flip would show
        torch.manual_seed(seed)
        assert all(torch.equal(ds[i][0], first[i]) for i in range(len(ds)))
    assert not any(torch.equal(first[i], first[i].flip(-1)) for i in range(len(ds)))
